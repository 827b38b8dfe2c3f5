import { describe, expect, it } from "vitest";
import { classifyKiteError, isUnknownOrder, resolvedError } from "./kite-errors.js";

describe("classifyKiteError", () => {
  it.each([
    ["InputException", "rejected"],
    ["OrderException", "rejected"],
    ["MarginException", "rejected"],
    ["HoldingException", "rejected"],
    ["PermissionException", "rejected"],
    ["UserException", "rejected"],
    ["TokenException", "token"],
    ["NetworkException", "ambiguous"],
    ["DataException", "ambiguous"],
    ["GeneralException", "ambiguous"],
    ["SomethingNewException", "ambiguous"],
  ])("%s is %s", (errorType, kind) => {
    expect(
      classifyKiteError({ status: "error", message: "m", error_type: errorType, data: null }),
    ).toMatchObject({
      kind,
      errorType,
      message: "m",
    });
  });

  it.each([
    ["JSON 429", { status: "error", message: "Too many requests", error_type: "NetworkException" }],
    [
      "plain-text 429",
      { message: "Too Many Requests", error_type: "NetworkException", data: null },
    ],
  ])("marks a %s as rate limited (and ambiguous)", (_name, reason) => {
    expect(classifyKiteError(reason)).toMatchObject({ kind: "ambiguous", rateLimited: true });
  });

  it.each([
    "No response from server with error code: ECONNABORTED",
    "No response from server with error code: ECONNRESET",
    "No response from server with error code: ECONNREFUSED",
    "Bad Gateway",
    "Service Unavailable",
  ])("treats %s as ambiguous", (message) => {
    expect(
      classifyKiteError({ message, error_type: "NetworkException", data: null }),
    ).toMatchObject({
      kind: "ambiguous",
      rateLimited: false,
    });
  });

  it.each([
    ["No response from server with error code: ECONNABORTED", true],
    ["No response from server with error code: ECONNRESET", true],
    ["No response from server with error code: ECONNREFUSED", false],
    ["Bad Gateway", false],
  ])("says whether %s may have gone through unanswered: %s", (message, unanswered) => {
    expect(classifyKiteError({ message, error_type: "NetworkException" })).toMatchObject({
      unanswered,
    });
  });

  it("reads only error_type and message: nothing else of the rejection can leak", () => {
    const reason = {
      message: "boom",
      error_type: "NetworkException",
      config: { headers: { Authorization: "token key:secret_token" } },
    };
    expect(JSON.stringify(classifyKiteError(reason))).not.toContain("secret_token");
  });

  it("handles Errors, strings and nothing at all", () => {
    const error = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(classifyKiteError(error)).toMatchObject({
      kind: "ambiguous",
      errorType: "Error",
      message: "socket hang up",
    });
    expect(classifyKiteError("weird")).toMatchObject({
      kind: "ambiguous",
      message: "unknown error",
    });
    expect(classifyKiteError(undefined)).toMatchObject({ kind: "ambiguous" });
  });

  it("shortens a DataException that carries a whole HTML page", () => {
    const failure = classifyKiteError({
      error_type: "DataException",
      message: `Unknown content type ${"<p>".repeat(500)}`,
    });
    expect(failure.message.length).toBeLessThanOrEqual(301);
  });

  it("spots a resolved value that is really an error (the 200-with-HTML trap)", () => {
    expect(resolvedError({ error_type: "DataException", message: "Unknown content type" })).toBe(
      true,
    );
    expect(resolvedError({ order_id: "1" })).toBe(false);
    expect(resolvedError(null)).toBe(false);
  });
});

describe("isUnknownOrder", () => {
  it("is Kite's refusal for an order id it does not have, and nothing else", () => {
    const refusal = (message: string, errorType = "InputException") =>
      classifyKiteError({ status: "error", message, error_type: errorType, data: null });
    expect(isUnknownOrder(refusal("Couldn't find that `order_id`."))).toBe(true);
    expect(isUnknownOrder(refusal("Couldn’t find that order_id"))).toBe(true);
    expect(isUnknownOrder(refusal("Invalid `order_id`."))).toBe(false);
    expect(isUnknownOrder(refusal("Couldn't find that `order_id`.", "NetworkException"))).toBe(
      false,
    );
  });
});
