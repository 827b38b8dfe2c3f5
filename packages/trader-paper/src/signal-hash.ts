import { createHash } from "node:crypto";

/**
 * Digest of a signal in one namespace. Everything the paper trader derives from a signal (its
 * order id, its random spread) comes from here, so executing the same signal again after a crash
 * gives the same order.
 */
function digest(namespace: string, signalId: string, salt = ""): Buffer {
  return createHash("sha256").update(`${salt}\u0000${namespace}\u0000${signalId}`).digest();
}

/** A paper order id derived from the signal's event id: `paper_` and 12 hex digits. */
export function paperOrderId(namespace: string, signalId: string): string {
  return `paper_${digest(namespace, signalId).toString("hex").slice(0, 12)}`;
}

/** A number in [0, 1) determined by the seed and the signal. */
export function seededUnit(seed: string, namespace: string, signalId: string): number {
  return digest(namespace, signalId, seed).readUInt32BE(0) / 2 ** 32;
}
