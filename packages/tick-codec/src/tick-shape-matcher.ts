import { TICK_SHAPE_MATCH_WASM } from "./tick-shape-match-wasm.js";

// The few WebAssembly types this needs: neither lib ES2022 nor @types/node 20 declares them.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module);
    readonly exports: Record<string, unknown>;
  }
  class Global {
    readonly value: unknown;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
  }
}

/** The functions and memory wasm/tick-shape-match.ts exports. */
export interface ShapeMatcher {
  memory: WebAssembly.Memory;
  /** MATCHED or MISSED: the message of `n` bytes at MESSAGE against the shape at `shape`. */
  match(shape: number, n: number): number;
}

/** The constants it exports: its memory layout and codes. */
const LAYOUT = [
  "MESSAGE",
  "MESSAGE_CAPACITY",
  "OUT",
  "SHAPES",
  "SHAPE_SLOTS",
  "SHAPE_BYTES",
  "OPS_BYTES",
  "MAX_VALUES",
  "MATCHED",
  "NUMBER_VALUE",
  "SLOT_TIMESTAMP",
] as const;

export type MatcherLayout = Record<(typeof LAYOUT)[number], number>;

/**
 * Compiles and instantiates the matcher, synchronously (it is about 3 KB): once, when the scanner is
 * first imported. The module is embedded in the package as base64, so it loads wherever the code
 * does.
 */
export function instantiateMatcher(): { matcher: ShapeMatcher; layout: MatcherLayout } {
  const bytes = Uint8Array.from(atob(TICK_SHAPE_MATCH_WASM), (char) => char.charCodeAt(0));
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  const layout = {} as MatcherLayout;
  for (const name of LAYOUT) {
    const global = exports[name];
    if (!(global instanceof WebAssembly.Global)) {
      throw new Error(`tick-shape-match.wasm does not export ${name}: rebuild it (build:wasm)`);
    }
    layout[name] = global.value as number;
  }
  return { matcher: exports as unknown as ShapeMatcher, layout };
}
