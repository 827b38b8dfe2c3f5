import { describe, expect, it } from "vitest";
import { SingleFlight } from "./single-flight.js";

/** A promise and the functions that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("SingleFlight", () => {
  it("shares one running call between callers with one key, not across keys", async () => {
    const flights = new SingleFlight<string, number>();
    const gate = deferred<number>();
    let calls = 0;
    const call = () => {
      calls += 1;
      return gate.promise;
    };
    const first = flights.run("a", call);
    const second = flights.run("a", call);
    const other = flights.run("b", () => Promise.resolve(7));
    expect(second).toBe(first);
    expect(calls).toBe(1);
    expect(flights.size).toBe(2);
    gate.resolve(42);
    await expect(first).resolves.toBe(42);
    await expect(other).resolves.toBe(7);
    expect(flights.size).toBe(0);
  });

  it("starts anew once the call settled, after a failure too", async () => {
    const flights = new SingleFlight<undefined, string>();
    await expect(flights.run(undefined, () => Promise.reject(new Error("down")))).rejects.toThrow(
      "down",
    );
    await expect(flights.run(undefined, () => Promise.resolve("up"))).resolves.toBe("up");
  });

  it("turns a call that throws at once into a rejection and frees the key", async () => {
    const flights = new SingleFlight<string, string>();
    const thrown = flights.run("k", () => {
      throw new Error("sync");
    });
    await expect(thrown).rejects.toThrow("sync");
    expect(flights.size).toBe(0);
  });
});
