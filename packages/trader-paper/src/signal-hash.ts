import { createHash } from "node:crypto";

/**
 * Digest of a signal in one namespace. The paper trader's random spread comes from here, so
 * executing the same signal again after a crash gives the same spread.
 */
function digest(namespace: string, signalId: string, salt = ""): Buffer {
  return createHash("sha256").update(`${salt}\u0000${namespace}\u0000${signalId}`).digest();
}

/** A number in [0, 1) determined by the seed and the signal. */
export function seededUnit(seed: string, namespace: string, signalId: string): number {
  return digest(namespace, signalId, seed).readUInt32BE(0) / 2 ** 32;
}
