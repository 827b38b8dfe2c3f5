import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleSignal } from "../testing/sample-signals.js";
import { failedResult, type SubmitResult } from "../trading/execution-result.js";
import { type ExecutionState, isFinalStatus, newExecutionState } from "./execution-state.js";
import {
  type ExecutionEffect,
  type ExecutionEmit,
  type ExecutionEvent,
  type ExecutionPolicy,
  transitionExecution,
} from "./execution-transition.js";
import type { BrokerOrderStatus, OrderStatusReport } from "./order-status-report.js";

const POLICY: ExecutionPolicy = {
  maxSubmitAttempts: 3,
  orderVisibilityMs: 10_000,
  announcesPlacement: true,
};
/** A namespace whose orders fill at once (a stand-in broker): no order_placed. */
const FILLS_AT_ONCE: ExecutionPolicy = { ...POLICY, announcesPlacement: false };
const T0 = Date.parse("2026-11-25T04:00:00Z");
const QUANTITY = 10;
const signal = sampleSignal({ validatedQuantity: QUANTITY, quantity: QUANTITY });

function placed(orderId = "o1", at = T0): SubmitResult {
  const original = signal.data.original_signal;
  return {
    kind: "placed",
    payload: {
      order_id: orderId,
      instrument_token: original.instrument_token,
      signal_type: original.signal_type,
      quantity: QUANTITY,
      price: null,
      timestamp: new Date(at).toISOString(),
      broker: "zerodha",
      status: "PLACED",
      strategy_id: original.strategy_id,
      execution_mode: "zerodha",
    },
  };
}

function filled(quantity = QUANTITY, orderId = "p1"): SubmitResult {
  const original = signal.data.original_signal;
  return {
    kind: "filled",
    payload: {
      order_id: orderId,
      instrument_token: original.instrument_token,
      quantity,
      fill_price: 2500.5,
      timestamp: new Date(T0).toISOString(),
      broker: "paper",
      side: "BUY",
      strategy_id: original.strategy_id,
      signal_type: "BUY",
      execution_mode: "paper",
      fees: 2.5,
    },
  };
}

function rejected(code = "BROKER_REJECTED"): SubmitResult {
  return failedResult(signal, {
    namespace: "zerodha",
    code: code as "BROKER_REJECTED",
    message: "Insufficient funds",
    timestamp: new Date(T0).toISOString(),
  });
}

function report(
  status: BrokerOrderStatus,
  filledQuantity = 0,
  overrides: Partial<OrderStatusReport> = {},
): OrderStatusReport {
  return {
    clientOrderId: "e0123456789abcdef012",
    orderId: "o1",
    status,
    quantity: QUANTITY,
    filledQuantity,
    averagePrice: filledQuantity > 0 ? 101.25 : null,
    limitPrice: null,
    updatedAt: "2026-11-25T04:00:05.000Z",
    message: null,
    fees: null,
    ...overrides,
  };
}

/** Applies events in order; returns every state and every effect. */
function run(events: ExecutionEvent[], policy = POLICY, start = newExecutionState(QUANTITY)) {
  let state = start;
  const states: ExecutionState[] = [state];
  const effects: ExecutionEffect[][] = [];
  for (const event of events) {
    const next = transitionExecution(state, event, policy);
    state = next.state;
    states.push(state);
    effects.push(next.effects);
  }
  const emits = effects.flat().flatMap((e) => (e.type === "emit" ? [e.emit] : []));
  return { state, states, effects, emits };
}

const emitted = (emits: ExecutionEmit[]) => emits.map((e) => e.event);

describe("transitionExecution: a live order's life", () => {
  it("submits, is accepted, fills in two steps: order_placed then one order_filled", () => {
    const { state, emits, effects } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: placed(), at: T0 + 50 },
      { type: "report", report: report("partially_filled", 4), at: T0 + 1_000 },
      { type: "report", report: report("partially_filled", 4), at: T0 + 2_000 },
      { type: "report", report: report("filled", 10, { averagePrice: 101.5 }), at: T0 + 3_000 },
    ]);
    expect(state.status).toBe("filled");
    expect(emitted(emits)).toEqual(["order_placed", "order_filled"]);
    expect(emits[1]).toMatchObject({ quantity: 10, fillPrice: 101.5, orderId: "o1" });
    expect(effects[0]).toEqual([{ type: "journal" }, { type: "submit" }]);
    // A report that changes nothing asks for nothing.
    expect(effects[3]).toEqual([]);
  });

  it("fills a simulator's order at once without order_placed", () => {
    const { state, emits } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: filled(), at: T0 + 1 },
    ]);
    expect(state.status).toBe("filled");
    expect(emitted(emits)).toEqual(["order_filled"]);
    expect(emits[0]).toMatchObject({ fees: 2.5, fillPrice: 2500.5, quantity: QUANTITY });
  });

  it("turns a refusal into order_failed with its code", () => {
    const { state, emits } = run([
      { type: "refuse", code: "MARKET_CLOSED", message: "market closed", at: T0 },
    ]);
    expect(state.status).toBe("rejected");
    expect(emits).toEqual([
      expect.objectContaining({ event: "order_failed", code: "MARKET_CLOSED", orderId: null }),
    ]);
  });

  it("reports a broker rejection after acceptance as order_placed then order_failed", () => {
    const { state, emits } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: placed(), at: T0 + 1 },
      {
        type: "report",
        report: report("rejected", 0, { message: "Insufficient funds" }),
        at: T0 + 9,
      },
    ]);
    expect(state.status).toBe("rejected");
    expect(emitted(emits)).toEqual(["order_placed", "order_failed"]);
    expect(emits[1]).toMatchObject({
      code: "BROKER_REJECTED",
      message: "Insufficient funds",
      orderId: "o1",
    });
  });
});

describe("transitionExecution: unknown is resolved only by the broker's word", () => {
  const ambiguous: SubmitResult = { kind: "unknown", reason: "502 Bad Gateway" };

  it("adopts the order a query finds, with order_placed first", () => {
    const { state, emits } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: ambiguous, at: T0 + 100 },
      { type: "absent", at: T0 + 1_200 },
      { type: "report", report: report("filled", 10), at: T0 + 2_000 },
    ]);
    expect(state.status).toBe("filled");
    expect(emitted(emits)).toEqual(["order_placed", "order_filled"]);
  });

  it("does not conclude absence before the order had time to show, then submits again", () => {
    const { states, effects } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: ambiguous, at: T0 + 100 },
      { type: "absent", at: T0 + 100 + POLICY.orderVisibilityMs - 1 },
      { type: "absent", at: T0 + 100 + POLICY.orderVisibilityMs },
    ]);
    expect(states[3]?.status).toBe("unknown");
    expect(effects[2]).toEqual([{ type: "query" }]);
    expect(states[4]).toMatchObject({ status: "submitted", attempts: 2 });
    expect(effects[3]).toEqual([{ type: "journal" }, { type: "submit" }]);
  });

  it("fails only after the last attempt's absence is conclusive", () => {
    const events: ExecutionEvent[] = [{ type: "submit", at: T0 }];
    let at = T0;
    for (let attempt = 1; attempt <= POLICY.maxSubmitAttempts; attempt++) {
      at += 100;
      events.push({ type: "submit_result", result: ambiguous, at });
      at += POLICY.orderVisibilityMs;
      events.push({ type: "absent", at });
    }
    const { state, emits } = run(events);
    expect(state.status).toBe("rejected");
    expect(emits).toEqual([
      expect.objectContaining({ event: "order_failed", code: "BROKER_UNAVAILABLE", orderId: null }),
    ]);
  });

  it("never concludes absence while its own call may still send the order", () => {
    const { state, emits } = run([
      { type: "submit", at: T0 },
      { type: "submit_timeout", at: T0 + 15_000 },
      { type: "absent", at: T0 + 120_000 },
    ]);
    expect(state).toMatchObject({ status: "unknown", callOutstanding: true });
    expect(emits).toEqual([]);
    // The late answer of that call decides.
    const late = transitionExecution(
      state,
      { type: "submit_result", result: placed(), at: T0 + 121_000 },
      POLICY,
    );
    expect(late.state.status).toBe("accepted");
  });

  it("after taking over a dead owner's submission, waits the visibility window from the takeover", () => {
    const { state } = run([
      { type: "submit", at: T0 },
      { type: "recover", at: T0 + 30_000 },
      { type: "absent", at: T0 + 30_000 + POLICY.orderVisibilityMs - 1 },
    ]);
    expect(state.status).toBe("unknown");
    const next = transitionExecution(
      state,
      { type: "absent", at: T0 + 30_000 + POLICY.orderVisibilityMs },
      POLICY,
    );
    expect(next.state.status).toBe("submitted");
  });

  it("ends an order found already filled with order_filled alone where orders fill at once", () => {
    const { state, emits } = run(
      [
        { type: "submit", at: T0 },
        { type: "recover", at: T0 + 30_000 },
        { type: "report", report: report("filled", 10), at: T0 + 31_000 },
      ],
      FILLS_AT_ONCE,
    );
    expect(state.status).toBe("filled");
    expect(emitted(emits)).toEqual(["order_filled"]);
  });

  it("never concludes an order the broker once had is absent: it vanished", () => {
    const { state, emits, effects } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: placed(), at: T0 + 1 },
      { type: "absent", at: T0 + 999_999 },
      { type: "absent", at: T0 + 9_999_999 },
    ]);
    expect(state.status).toBe("unknown");
    expect(emitted(emits)).toEqual(["order_placed"]);
    expect(effects[2]).toContainEqual(expect.objectContaining({ anomaly: "vanished_order" }));
  });
});

describe("transitionExecution: an absent answer older than the acceptance is no vanish", () => {
  const ACCEPTED_AT = T0 + 500;
  const anomalies = (effects: ExecutionEffect[]) =>
    effects.flatMap((e) => (e.type === "alert" ? [e.anomaly] : []));
  const acceptedOrder = run([
    { type: "submit", at: T0 },
    { type: "submit_result", result: placed(), at: ACCEPTED_AT },
  ]).state;
  const partlyFilled = run(
    [{ type: "report", report: report("partially_filled", 4), at: ACCEPTED_AT + 100 }],
    POLICY,
    acceptedOrder,
  ).state;

  // A follower round reads the book, the placement's answer is applied, then the round's "absent".
  it.each([
    ["accepted", "asked before its acceptance", T0 + 100, acceptedOrder],
    ["accepted", "asked as it was accepted", ACCEPTED_AT, acceptedOrder],
    [
      "accepted",
      "asked within the book's lag after its acceptance",
      ACCEPTED_AT + POLICY.orderVisibilityMs - 1,
      acceptedOrder,
    ],
    ["partially_filled", "asked before its acceptance", T0 + 100, partlyFilled],
    [
      "partially_filled",
      "asked within the book's lag after its acceptance",
      ACCEPTED_AT + POLICY.orderVisibilityMs - 1,
      partlyFilled,
    ],
  ])("keeps the %s order on an absent %s, without an alert", (status, _when, at, start) => {
    const next = transitionExecution(start, { type: "absent", at }, POLICY);
    expect(next.state).toBe(start);
    expect(next.state.status).toBe(status);
    expect(anomalies(next.effects)).toEqual([]);
  });

  it("still calls an order absent from the visibility window after its acceptance on vanished", () => {
    const next = transitionExecution(
      acceptedOrder,
      { type: "absent", at: ACCEPTED_AT + POLICY.orderVisibilityMs },
      POLICY,
    );
    expect(next.state.status).toBe("unknown");
    expect(anomalies(next.effects)).toEqual(["vanished_order"]);
  });

  it("asks again about a vanished order on a stale absent, without a second alert", () => {
    const vanished = transitionExecution(
      acceptedOrder,
      { type: "absent", at: ACCEPTED_AT + POLICY.orderVisibilityMs },
      POLICY,
    ).state;
    const stale = transitionExecution(vanished, { type: "absent", at: T0 + 100 }, POLICY);
    expect(stale).toEqual({ state: vanished, effects: [{ type: "query" }] });
    // A fresh answer still counts: the order is still missing.
    const fresh = transitionExecution(
      vanished,
      { type: "absent", at: ACCEPTED_AT + 2 * POLICY.orderVisibilityMs },
      POLICY,
    );
    expect(anomalies(fresh.effects)).toEqual(["vanished_order"]);
  });
});

describe("transitionExecution: cancel and time in force", () => {
  const accepted = run([
    { type: "submit", at: T0 },
    { type: "submit_result", result: placed(), at: T0 + 1 },
  ]).state;

  it("expires an unfilled order: order_failed ORDER_EXPIRED", () => {
    const { state, emits, effects } = run(
      [
        {
          type: "cancel",
          code: "ORDER_EXPIRED",
          message: "time in force ran out",
          at: T0 + 60_000,
        },
        { type: "report", report: report("cancelled"), at: T0 + 61_000 },
      ],
      POLICY,
      accepted,
    );
    expect(effects[0]).toEqual([{ type: "journal" }, { type: "cancel" }]);
    expect(state.status).toBe("expired");
    expect(emits).toEqual([
      expect.objectContaining({ event: "order_failed", code: "ORDER_EXPIRED", orderId: "o1" }),
    ]);
  });

  it("ends a partly filled order that expires in one order_filled with the partial quantity", () => {
    const { state, emits } = run(
      [
        { type: "report", report: report("partially_filled", 3), at: T0 + 10_000 },
        {
          type: "cancel",
          code: "ORDER_EXPIRED",
          message: "time in force ran out",
          at: T0 + 60_000,
        },
        { type: "report", report: report("cancelled", 3), at: T0 + 61_000 },
      ],
      POLICY,
      accepted,
    );
    expect(state.status).toBe("cancelled");
    expect(emits).toEqual([
      expect.objectContaining({ event: "order_filled", quantity: 3, fillPrice: 101.25 }),
    ]);
  });

  it("lets a fill that beats the cancel stand", () => {
    const { state, emits } = run(
      [
        { type: "cancel", code: "ORDER_EXPIRED", message: "ttl", at: T0 + 60_000 },
        { type: "report", report: report("filled", 10), at: T0 + 60_001 },
      ],
      POLICY,
      accepted,
    );
    expect(state.status).toBe("filled");
    expect(emitted(emits)).toEqual(["order_filled"]);
  });
});

describe("transitionExecution: brokers that misbehave", () => {
  it("flags a second broker order for one client order id and keeps the first", () => {
    const { state, effects } = run([
      { type: "submit", at: T0 },
      { type: "submit_timeout", at: T0 + 15_000 },
      { type: "report", report: report("accepted"), at: T0 + 16_000 },
      { type: "submit_result", result: placed("o2"), at: T0 + 17_000 },
    ]);
    expect(state.orderId).toBe("o1");
    expect(effects[3]).toEqual([
      expect.objectContaining({ type: "alert", anomaly: "duplicate_order" }),
    ]);
  });

  it("caps a reported fill at the order's quantity", () => {
    const { state, emits } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: placed(), at: T0 + 1 },
      { type: "report", report: report("filled", 12), at: T0 + 2 },
    ]);
    expect(state.filledQuantity).toBe(QUANTITY);
    expect(emits.at(-1)).toMatchObject({ event: "order_filled", quantity: QUANTITY });
  });

  it("keeps the filled quantity when a stale report shows less", () => {
    const { state } = run([
      { type: "submit", at: T0 },
      { type: "submit_result", result: placed(), at: T0 + 1 },
      { type: "report", report: report("partially_filled", 6), at: T0 + 2 },
      { type: "report", report: report("partially_filled", 2), at: T0 + 3 },
    ]);
    expect(state).toMatchObject({ status: "partially_filled", filledQuantity: 6 });
  });
});

// --- Properties over any sequence of broker reports and answers -------------------------------

const statusArb = fc.constantFrom<BrokerOrderStatus>(
  "accepted",
  "partially_filled",
  "filled",
  "cancelled",
  "rejected",
  "expired",
);
const reportArb = fc.record({
  status: statusArb,
  filled: fc.integer({ min: 0, max: QUANTITY + 3 }),
  orderId: fc.constantFrom("o1", "o1", "o1", "o2"),
  price: fc.option(fc.double({ min: 1, max: 5_000, noNaN: true }), { nil: null }),
});
const resultArb: fc.Arbitrary<SubmitResult> = fc.oneof(
  fc.constantFrom("o1", "o2").map((id) => placed(id)),
  fc.integer({ min: 1, max: QUANTITY + 2 }).map((q) => filled(q)),
  fc.constant(rejected()),
  fc.constant({ kind: "unknown", reason: "timeout" } as SubmitResult),
);
type Step =
  | { type: "refuse" }
  | { type: "submit" }
  | { type: "submit_result"; result: SubmitResult }
  | { type: "submit_timeout" }
  | { type: "recover" }
  | {
      type: "report";
      report: { status: BrokerOrderStatus; filled: number; orderId: string; price: number | null };
    }
  | { type: "absent" }
  | { type: "cancel" };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ type: "refuse" } as Step) },
  { weight: 3, arbitrary: fc.constant({ type: "submit" } as Step) },
  { weight: 3, arbitrary: resultArb.map((result) => ({ type: "submit_result", result }) as Step) },
  { weight: 2, arbitrary: fc.constant({ type: "submit_timeout" } as Step) },
  { weight: 1, arbitrary: fc.constant({ type: "recover" } as Step) },
  { weight: 5, arbitrary: reportArb.map((r) => ({ type: "report", report: r }) as Step) },
  { weight: 4, arbitrary: fc.constant({ type: "absent" } as Step) },
  { weight: 1, arbitrary: fc.constant({ type: "cancel" } as Step) },
);
const runArb = fc.array(fc.tuple(stepArb, fc.integer({ min: 0, max: 15_000 })), {
  minLength: 1,
  maxLength: 40,
});

function toEvents(steps: [Step, number][]): ExecutionEvent[] {
  let at = T0;
  return steps.map(([step, delay]): ExecutionEvent => {
    at += delay;
    switch (step.type) {
      case "refuse":
        return { type: "refuse", code: "MARKET_CLOSED", message: "closed", at };
      case "cancel":
        return { type: "cancel", code: "ORDER_EXPIRED", message: "ttl", at };
      case "submit_result":
        return { type: "submit_result", result: step.result, at };
      case "report":
        return {
          type: "report",
          report: report(step.report.status, step.report.filled, {
            orderId: step.report.orderId,
            averagePrice: step.report.price,
          }),
          at,
        };
      default:
        return { type: step.type, at };
    }
  });
}

const TERMINAL = new Set(["order_filled", "order_failed"]);

describe("transitionExecution: properties over any sequence of events", () => {
  it("emits at most one terminal event, and at most one order_placed, never after the end", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const { emits } = run(toEvents(steps));
        const kinds = emitted(emits);
        expect(kinds.filter((k) => TERMINAL.has(k)).length).toBeLessThanOrEqual(1);
        expect(kinds.filter((k) => k === "order_placed").length).toBeLessThanOrEqual(1);
        const end = kinds.findIndex((k) => TERMINAL.has(k));
        if (end !== -1) expect(end).toBe(kinds.length - 1);
      }),
      { numRuns: 2_000 },
    );
  });

  it("emits order_placed before the terminal event of any order the broker accepted", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const { states, emits } = run(toEvents(steps));
        const accepted = states.some((s) => s.placed);
        const kinds = emitted(emits);
        const end = kinds.findIndex((k) => TERMINAL.has(k));
        if (accepted && end !== -1) expect(kinds.slice(0, end)).toContain("order_placed");
        // `placed` is set exactly when order_placed went out.
        expect(states.at(-1)?.placed ?? false).toBe(kinds.includes("order_placed"));
      }),
      { numRuns: 2_000 },
    );
  });

  it("never fills more than the order's quantity, and never un-fills", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const { states, emits } = run(toEvents(steps));
        for (let i = 0; i < states.length; i++) {
          const state = states[i] as ExecutionState;
          expect(state.filledQuantity).toBeLessThanOrEqual(QUANTITY);
          if (i > 0)
            expect(state.filledQuantity).toBeGreaterThanOrEqual(states[i - 1]?.filledQuantity ?? 0);
        }
        for (const emit of emits) {
          if (emit.event === "order_filled") {
            expect(emit.quantity).toBeGreaterThan(0);
            expect(emit.quantity).toBeLessThanOrEqual(QUANTITY);
          }
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves unknown for a failure only on the broker's word", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const events = toEvents(steps);
        let state = newExecutionState(QUANTITY);
        for (const event of events) {
          const next = transitionExecution(state, event, POLICY);
          const failedNow = next.effects.some(
            (e) => e.type === "emit" && e.emit.event === "order_failed",
          );
          if ((state.status === "unknown" || state.status === "submitted") && failedNow) {
            const brokerWord =
              (event.type === "submit_result" && event.result.kind === "failed") ||
              (event.type === "report" && isFinalStatus(next.state.status)) ||
              (event.type === "absent" &&
                !state.callOutstanding &&
                !state.placed &&
                state.orderId === null &&
                state.absentConclusiveAfter !== null &&
                event.at >= state.absentConclusiveAfter);
            expect(brokerWord, `${state.status} --${event.type}--> failed`).toBe(true);
          }
          state = next.state;
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it("announces a placement only when the trader answered placed, where orders fill at once", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const events = toEvents(steps);
        const { emits, effects } = run(events, FILLS_AT_ONCE);
        const kinds = emitted(emits);
        expect(kinds.filter((k) => TERMINAL.has(k)).length).toBeLessThanOrEqual(1);
        effects.forEach((list, i) => {
          const announced = list.some((e) => e.type === "emit" && e.emit.event === "order_placed");
          const event = events[i];
          if (announced) {
            expect(event?.type === "submit_result" && event.result.kind === "placed").toBe(true);
          }
        });
      }),
      { numRuns: 1_000 },
    );
  });

  it("reports a vanish only on an absent asked a visibility window after the acceptance", () => {
    fc.assert(
      fc.property(runArb, fc.integer({ min: 0, max: 700_000 }), (steps, askedAfterT0) => {
        const { state } = run(toEvents(steps));
        const at = T0 + askedAfterT0;
        const { effects } = transitionExecution(state, { type: "absent", at }, POLICY);
        const vanish = effects.some((e) => e.type === "alert" && e.anomaly === "vanished_order");
        if (vanish && state.acceptedAt !== null) {
          expect(at).toBeGreaterThanOrEqual(state.acceptedAt + POLICY.orderVisibilityMs);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("changes nothing once final", () => {
    fc.assert(
      fc.property(runArb, runArb, (first, then) => {
        const { state } = run(toEvents(first));
        fc.pre(isFinalStatus(state.status));
        const after = run(toEvents(then), POLICY, state);
        expect(after.state).toEqual(state);
        expect(after.emits).toEqual([]);
      }),
      { numRuns: 1_000 },
    );
  });

  it("journals before it asks for anything else", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const { effects } = run(toEvents(steps));
        for (const list of effects) {
          const journal = list.findIndex((e) => e.type === "journal");
          const outward = list.findIndex(
            (e) => e.type === "emit" || e.type === "submit" || e.type === "cancel",
          );
          if (outward !== -1 && list[outward]?.type !== "cancel") expect(journal).toBe(0);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
