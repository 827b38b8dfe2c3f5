import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLIENT_ORDER_ID_LENGTH, clientOrderId, isClientOrderId } from "./client-order-id.js";

describe("clientOrderId", () => {
  it("is the same for one signal and namespace, 20 letters and digits, recognised by isClientOrderId", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (signalId, ns) => {
        const id = clientOrderId(signalId, ns);
        expect(id).toBe(clientOrderId(signalId, ns));
        expect(id).toMatch(/^[a-z0-9]+$/);
        expect(id).toHaveLength(CLIENT_ORDER_ID_LENGTH);
        expect(isClientOrderId(id)).toBe(true);
      }),
    );
  });

  it("tells other tags from the engine's", () => {
    for (const tag of [
      "",
      "manual",
      "E0123456789abcdef012",
      "e0123456789abcdef01",
      "e0123456789abcdef0123",
      "e0123456789abcdefg12",
    ]) {
      expect(isClientOrderId(tag), tag).toBe(false);
    }
  });
});
