import type { KiteOrder } from "../orders/kite-order.js";
import { postbackChecksum } from "./postback-checksum.js";

/** Where and how to deliver postbacks. */
export interface PostbackTarget {
  url: string;
  apiSecret: string;
  apiKey: string;
  userId: string;
}

/** The JSON body Kite posts to the app's postback URL. */
export type PostbackPayload = Omit<KiteOrder, "status"> & {
  status: KiteOrder["status"] | "UPDATE";
  user_id: string;
  app_id: string;
  unfilled_quantity: number;
  checksum: string;
};

/** Which states Kite posts back: final ones, and partial fills as UPDATE. */
function postbackStatus(state: KiteOrder): PostbackPayload["status"] | undefined {
  if (state.status === "COMPLETE" || state.status === "REJECTED" || state.status === "CANCELLED") {
    return state.status;
  }
  if (state.status === "OPEN" && state.filled_quantity > 0) return "UPDATE";
  return undefined;
}

/** Builds the postback body for a state, or undefined when Kite would not post it. */
export function postbackPayload(
  state: KiteOrder,
  target: Omit<PostbackTarget, "url">,
): PostbackPayload | undefined {
  const status = postbackStatus(state);
  if (status === undefined) return undefined;
  return {
    ...state,
    status,
    user_id: target.userId,
    app_id: target.apiKey,
    unfilled_quantity:
      state.status === "CANCELLED" ? state.cancelled_quantity : state.pending_quantity,
    checksum: postbackChecksum(state.order_id, state.order_timestamp, target.apiSecret),
  };
}

/**
 * Posts order updates as raw JSON, one request at a time in order, so a receiver sees an order's
 * states in the order they happened. Failures are counted, not retried: Kite does not retry either.
 */
export class PostbackSender {
  readonly #target: PostbackTarget;
  readonly #onResult: (ok: boolean) => void;
  #abort = new AbortController();
  #queue: Promise<void> = Promise.resolve();

  constructor(target: PostbackTarget, onResult: (ok: boolean) => void) {
    this.#target = target;
    this.#onResult = onResult;
  }

  send(state: KiteOrder): void {
    const payload = postbackPayload(state, this.#target);
    if (payload === undefined) return;
    this.#queue = this.#queue.then(() => this.#post(payload));
  }

  /** Resolves when every queued postback has been attempted. */
  drain(): Promise<void> {
    return this.#queue;
  }

  /** Abandons queued and in-flight postbacks; later ones are sent again. */
  abandon(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#queue = Promise.resolve();
  }

  async #post(payload: PostbackPayload): Promise<void> {
    const { signal } = this.#abort;
    if (signal.aborted) return;
    try {
      const response = await fetch(this.#target.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
      });
      await response.arrayBuffer();
      this.#onResult(response.ok);
    } catch {
      if (!signal.aborted) this.#onResult(false);
    }
  }
}
