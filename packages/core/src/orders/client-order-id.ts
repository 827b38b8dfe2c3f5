import { createHash } from "node:crypto";

/** The longest client order id: Kite's `tag` takes at most 20 characters. */
export const CLIENT_ORDER_ID_LENGTH = 20;

/**
 * The engine's client order id for a signal executed on a namespace: `e` and the first 19 hex
 * digits of `sha256("<namespace>:<signal id>")`, 20 lower-case alphanumeric characters.
 *
 * Deterministic, so every attempt, every engine instance and a restarted engine give the same
 * signal the same id on a namespace, and an order whose placement got no clear answer can be found
 * at the broker by it. Each trader carries it in its broker's free-text field (Kite's and Upstox's
 * `tag`); its shape fits the strictest of them (Kite: at most 20 letters and digits).
 */
export function clientOrderId(signalId: string, namespace: string): string {
  const digest = createHash("sha256").update(`${namespace}:${signalId}`).digest("hex");
  return `e${digest.slice(0, CLIENT_ORDER_ID_LENGTH - 1)}`;
}

const CLIENT_ORDER_ID_SHAPE = /^e[0-9a-f]{19}$/;

/**
 * Whether `text` has the shape of a client order id `clientOrderId` makes (`e` and 19 lower-case
 * hex digits): a broker's order whose free-text field carries one was placed by an engine. Lets a
 * trader tell the engine's orders from others in the account's order book.
 */
export function isClientOrderId(text: string): boolean {
  return CLIENT_ORDER_ID_SHAPE.test(text);
}
