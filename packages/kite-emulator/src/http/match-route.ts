/** A route of the emulator: a method, a template such as `/orders/:order_id`, and a handler. */
export interface Route<H> {
  method: string;
  template: string;
  handler: H;
}

/** A matched route with its path parameters. */
export interface RouteMatch<H> {
  route: Route<H>;
  params: Record<string, string>;
}

/** Outcome of routing: a match, a known path with another method, or nothing. */
export type RouteLookup<H> =
  | { kind: "match"; match: RouteMatch<H> }
  | { kind: "wrong-method"; template: string }
  | { kind: "none" };

function matchTemplate(template: string, segments: string[]): Record<string, string> | null {
  const parts = template.split("/").filter(Boolean);
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const segment = segments[i] as string;
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(segment);
    else if (part !== segment) return null;
  }
  return params;
}

/** Finds the first route whose template matches `path`; literal routes must come first. */
export function lookupRoute<H>(
  routes: readonly Route<H>[],
  method: string,
  path: string,
): RouteLookup<H> {
  const segments = path.split("/").filter(Boolean);
  let otherMethod: string | undefined;
  for (const route of routes) {
    const params = matchTemplate(route.template, segments);
    if (params === null) continue;
    if (route.method === method) return { kind: "match", match: { route, params } };
    otherMethod ??= route.template;
  }
  return otherMethod === undefined
    ? { kind: "none" }
    : { kind: "wrong-method", template: otherMethod };
}
