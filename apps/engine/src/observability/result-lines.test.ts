import type { InstrumentInfo, InstrumentRegistry } from "@engine/core";
import { describe, expect, it } from "vitest";
import { outputFormat } from "./logger.js";
import {
  formatResultLine,
  type LineColors,
  type ResultLine,
  ResultLinePrinter,
} from "./result-lines.js";

/** 09:15:02.113 in the process's time zone (the line shows local wall-clock time). */
const AT = new Date(2026, 11, 1, 9, 15, 2, 113).toISOString();

function line(overrides: Partial<ResultLine> = {}): ResultLine {
  return {
    ts: AT,
    namespace: "paper",
    side: "BUY",
    quantity: 10,
    instrumentToken: 738561,
    symbol: "RELIANCE",
    price: 2841.5,
    fees: 2.13,
    strategyId: "momentum_1",
    outcome: "filled",
    errorCode: null,
    errorMessage: null,
    latencyMs: 4.23,
    ...overrides,
  };
}

/** Marks every colour so a test can see which part got which. */
const MARKED: LineColors = {
  green: (text) => `<g>${text}</g>`,
  red: (text) => `<r>${text}</r>`,
  cyan: (text) => `<c>${text}</c>`,
  yellow: (text) => `<y>${text}</y>`,
  dim: (text) => `<d>${text}</d>`,
  bold: (text) => `<b>${text}</b>`,
};

describe("formatResultLine", () => {
  it("puts a fill on one line: time, namespace, side, quantity, symbol, price, fees, strategy, outcome, latency", () => {
    const text = formatResultLine(line());
    expect(text).toMatch(
      /^09:15:02\.113 +paper +BUY +10 +RELIANCE +@ +2,841\.50 +fees +2\.13 +momentum_1 +FILLED +4\.2 ms$/,
    );
  });

  it("aligns the columns of different results", () => {
    const fill = formatResultLine(line());
    const failure = formatResultLine(
      line({
        namespace: "zerodha",
        side: "SELL",
        quantity: 1250,
        symbol: "NIFTY26DECFUT",
        price: 123456.75,
        fees: null,
        outcome: "failed",
        errorCode: "RISK_REJECTED",
        errorMessage: "max_order_notional",
        latencyMs: null,
      }),
    );
    const column = (text: string, part: string) => text.indexOf(part);
    expect(column(failure, "zerodha")).toBe(column(fill, "paper"));
    expect(column(failure, "@")).toBe(column(fill, "@") + 1); // the symbol is 13 wide
    expect(failure).toMatch(
      /@ +1,23,456\.75 +momentum_1 +FAILED RISK_REJECTED {2}max_order_notional$/,
    );
  });

  it("shows a placed order's price, a market order as MARKET, and the token when no symbol is known", () => {
    expect(formatResultLine(line({ outcome: "placed", fees: null, latencyMs: null }))).toMatch(
      /@ +2,841\.50 +momentum_1 +PLACED$/,
    );
    expect(formatResultLine(line({ price: null, symbol: null }))).toMatch(/ 738561 +@ +MARKET /);
  });

  it("colours the outcome and the side: green fills and buys, red failures and sells, cyan placements", () => {
    expect(formatResultLine(line(), MARKED)).toContain("<g>FILLED</g>");
    expect(formatResultLine(line(), MARKED)).toContain("<g>BUY </g>");
    const failed = formatResultLine(
      line({
        side: "SELL",
        outcome: "failed",
        errorCode: "NO_MARKET_PRICE",
        errorMessage: "no price",
      }),
      MARKED,
    );
    expect(failed).toContain("<r>FAILED NO_MARKET_PRICE</r>");
    expect(failed).toContain("<r>SELL</r>");
    expect(formatResultLine(line({ outcome: "placed" }), MARKED)).toContain("<c>PLACED</c>");
  });
});

/** A registry that knows some tokens, counts its lookups and can be made to fail. */
class Registry implements InstrumentRegistry {
  lookups = 0;
  failing = false;
  constructor(readonly symbols: Record<number, string>) {}
  async lookup(token: number): Promise<InstrumentInfo | null> {
    this.lookups += 1;
    if (this.failing) throw new Error("database unavailable");
    const symbol = this.symbols[token];
    return symbol
      ? {
          instrumentToken: token,
          exchange: "NSE",
          exchangeToken: token >> 8,
          tradingSymbol: symbol,
          lotSize: 1,
          tickSize: 0.05,
        }
      : null;
  }
}

describe("ResultLinePrinter", () => {
  function printer(known: Record<number, string> = {}) {
    const written: string[] = [];
    const instance = new ResultLinePrinter({
      write: (text) => written.push(text),
      known: new Map(Object.entries(known).map(([token, symbol]) => [Number(token), symbol])),
    });
    return { instance, written };
  }

  it("names the instrument by the signal's symbol, else the registry's, else the known ones, else the token", async () => {
    const { instance, written } = printer({ 779521: "SBIN", 408065: "INFY-KNOWN" });
    instance.useInstruments(new Registry({ 408065: "INFY" }));
    instance.print(line({ symbol: "FROM_SIGNAL" }));
    instance.print(line({ symbol: null, instrumentToken: 408065 }));
    instance.print(line({ symbol: null, instrumentToken: 779521 }));
    instance.print(line({ symbol: null, instrumentToken: 12345 }));
    await instance.flush();
    expect(written.map((text) => text.split(/ +/)[4])).toEqual([
      "FROM_SIGNAL",
      "INFY",
      "SBIN",
      "12345",
    ]);
    expect(written.every((text) => text.endsWith("\n"))).toBe(true);
  });

  it("prints in the order results came, however long a symbol takes to resolve", async () => {
    const { instance, written } = printer();
    const slow: InstrumentRegistry = {
      lookup: (token) =>
        new Promise((resolve) => setTimeout(() => resolve(null), token === 1 ? 50 : 0)),
    };
    instance.useInstruments(slow);
    instance.print(line({ symbol: null, instrumentToken: 1, strategyId: "first" }));
    instance.print(line({ symbol: null, instrumentToken: 2, strategyId: "second" }));
    await instance.flush();
    expect(written.map((text) => text.includes("first"))).toEqual([true, false]);
  });

  it("asks the registry once per token, and again after it could not be read", async () => {
    const { instance, written } = printer();
    const registry = new Registry({ 738561: "RELIANCE" });
    instance.useInstruments(registry);
    registry.failing = true;
    instance.print(line({ symbol: null }));
    await instance.flush();
    registry.failing = false;
    instance.print(line({ symbol: null }));
    instance.print(line({ symbol: null }));
    await instance.flush();
    expect(written.map((text) => text.split(/ +/)[4])).toEqual(["738561", "RELIANCE", "RELIANCE"]);
    expect(registry.lookups).toBe(2);
  });
});

describe("outputFormat (LOG_FORMAT)", () => {
  it.each([
    [undefined, true, "lines"],
    [undefined, false, "json"],
    ["auto", true, "lines"],
    [" AUTO ", false, "json"],
    ["json", true, "json"],
    ["pretty", false, "pretty"],
    ["lines", false, "lines"],
    ["Lines", true, "lines"],
    // A bad value is json here; the settings stop start-up naming LOG_FORMAT.
    ["colourful", true, "json"],
  ] as const)("LOG_FORMAT=%s on a terminal=%s is %s", (value, terminal, expected) => {
    expect(outputFormat(value, terminal)).toBe(expected);
  });
});
