import type { InstrumentRegistry } from "@engine/core";
import pc from "picocolors";

/** One published result, as a trader reads it in a terminal. */
export interface ResultLine {
  /** The result event's `ts` (ISO-8601). */
  ts: string;
  namespace: string;
  /** The signal's type: `BUY`, `SELL`. */
  side: string;
  /** Filled units for a fill, the order's quantity otherwise. */
  quantity: number;
  instrumentToken: number;
  /** The signal's own `metadata.symbol`, when it carries one (the embedded demo's do). */
  symbol: string | null;
  /** Average fill price for a fill, the order's price otherwise; null for a market order. */
  price: number | null;
  /** Rupees, fills only. */
  fees: number | null;
  strategyId: string;
  outcome: "placed" | "filled" | "failed";
  errorCode: string | null;
  errorMessage: string | null;
  /** From the signal's batch being read to this, its execution's first result; null after. */
  latencyMs: number | null;
}

/** Where result lines go (`LOG_FORMAT=lines`): called once a result is out, in order. */
export type ResultSink = (line: ResultLine) => void;

/** The colours a line uses; identity functions for none. */
export type LineColors = Pick<typeof pc, "green" | "red" | "cyan" | "yellow" | "dim" | "bold">;

const NO_COLORS: LineColors = {
  green: String,
  red: String,
  cyan: String,
  yellow: String,
  dim: String,
  bold: String,
};

const PRICE = new Intl.NumberFormat("en-IN", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/**
 * One aligned line for a result, e.g.
 * `09:15:02.113  paper          BUY     10 RELIANCE    @ 2,841.50  fees 2.13  momentum_1  FILLED  4.2 ms`.
 * Time is the event's local wall-clock time; prices in the Indian grouping; a failure ends with
 * its code and message. Pure: the symbol is resolved before (`symbol`, else the token).
 */
export function formatResultLine(line: ResultLine, colors: LineColors = NO_COLORS): string {
  const at = new Date(line.ts);
  const time = Number.isNaN(at.getTime())
    ? line.ts.padEnd(12)
    : `${pad2(at.getHours())}:${pad2(at.getMinutes())}:${pad2(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, "0")}`;
  const side = line.side.padEnd(4);
  const parts = [
    colors.dim(time),
    line.namespace.padEnd(14),
    line.side === "SELL" ? colors.red(side) : colors.green(side),
    String(line.quantity).padStart(6),
    colors.bold((line.symbol ?? String(line.instrumentToken)).padEnd(12)),
    `@ ${(line.price === null ? "MARKET" : PRICE.format(line.price)).padStart(10)}`,
    line.fees === null ? " ".repeat(13) : `fees ${PRICE.format(line.fees).padStart(8)}`,
    line.strategyId.padEnd(18),
    outcomeText(line, colors),
  ];
  if (line.latencyMs !== null) parts.push(colors.dim(`${line.latencyMs.toFixed(1)} ms`));
  if (line.outcome === "failed" && line.errorMessage) parts.push(colors.dim(line.errorMessage));
  return parts.join("  ").trimEnd();
}

function outcomeText(line: ResultLine, colors: LineColors): string {
  switch (line.outcome) {
    case "filled":
      return colors.green("FILLED".padEnd(6));
    case "placed":
      return colors.cyan("PLACED".padEnd(6));
    case "failed":
      return colors.red(`FAILED ${line.errorCode ?? ""}`.trimEnd());
  }
}

function pad2(value: number): string {
  return String(value).padStart(2, "0");
}

export interface ResultLinePrinterOptions {
  /** Where each finished line goes, newline included (stdout). */
  write(text: string): void;
  /** Symbols known without asking (the embedded simulator's instruments), by token. */
  known?: ReadonlyMap<number, string>;
  /** Colours: picocolors' (which honour NO_COLOR and FORCE_COLOR), or none. */
  colors?: LineColors;
}

/**
 * Prints result lines in the order they come, each with its instrument's symbol: the signal's
 * own, else the instrument registry's (once `useInstruments` gave it one; asked once per token),
 * else the known ones, else the token.
 */
export class ResultLinePrinter {
  readonly #o: ResultLinePrinterOptions;
  readonly #symbols = new Map<number, Promise<string | null>>();
  #instruments: InstrumentRegistry | null = null;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: ResultLinePrinterOptions) {
    this.#o = options;
  }

  /** The registry to ask for symbols (available once the engine opened its database). */
  useInstruments(instruments: InstrumentRegistry): void {
    this.#instruments = instruments;
  }

  /** Queues a line: printed after every line queued before it. */
  readonly print: ResultSink = (line) => {
    const symbol = line.symbol
      ? Promise.resolve(line.symbol)
      : this.#symbolOf(line.instrumentToken);
    this.#queue = this.#queue.then(async () => {
      const resolved = { ...line, symbol: await symbol };
      this.#o.write(`${formatResultLine(resolved, this.#o.colors ?? NO_COLORS)}\n`);
    });
  };

  /** Resolves once every line queued so far is written. */
  flush(): Promise<void> {
    return this.#queue;
  }

  #symbolOf(token: number): Promise<string | null> {
    let symbol = this.#symbols.get(token);
    if (symbol === undefined) {
      const known = this.#o.known?.get(token) ?? null;
      const instruments = this.#instruments;
      // A registry without a dump answers null; one that cannot be read is asked again next time.
      symbol = instruments
        ? instruments.lookup(token).then(
            (info) => info?.tradingSymbol ?? known,
            () => {
              this.#symbols.delete(token);
              return known;
            },
          )
        : Promise.resolve(known);
      // Only an answer from the registry is kept: before it is available, ask again next time.
      if (instruments) this.#symbols.set(token, symbol);
    }
    return symbol;
  }
}

/** picocolors' colours: on in a terminal unless NO_COLOR is set (FORCE_COLOR forces them). */
export const TERMINAL_COLORS: LineColors = pc;
