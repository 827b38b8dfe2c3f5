import {
  type Clock,
  type ControlRequest,
  type ControlTarget,
  controlApplies,
  controlFromRequest,
  controlKey,
  errorMessage,
  type Logger,
  parseJson,
  type ResolvedState,
  type TradingControl,
  TradingControlSchema,
  TradingControls,
} from "@engine/core";
import type { EngineMetrics } from "../observability/metrics.js";
import type { ControlLog } from "./control-log.js";

export interface ControlBoardOptions {
  log: ControlLog;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
}

/**
 * This instance's view of the trading state of every scope, read from the control log: from its
 * beginning at start (`ready` resolves once it has read every change made before; until then no
 * order may go out: fail closed), then each change as it arrives. Changes arriving after that are
 * also told to `onChange` listeners (cancelling open orders on a halt).
 *
 * When the log is lost under it (the reader is rewound: a crash, the topic deleted or
 * re-created) the board is not caught up again (`ready` pending, `/ready` failing) until the log
 * was read anew from its beginning into a fresh view, which then replaces the one in force. A scope the new reading lacks (the topic was
 * deleted or re-created) keeps its last known state: unsure, the stricter view stays.
 */
export class ControlBoard {
  readonly #o: ControlBoardOptions;
  #controls = new TradingControls();
  /** The view being read again after the log was lost, replacing `#controls` once caught up. */
  #rebuilding: TradingControls | null = null;
  readonly #listeners: ((control: TradingControl) => void)[] = [];
  #caughtUp = false;
  #markReady: () => void = () => {};
  #ready: Promise<void>;

  constructor(options: ControlBoardOptions) {
    this.#o = options;
    this.#ready = this.#pending();
    options.metrics.tradingStates = () => this.list();
  }

  /** Resolves once every change made so far was read (again pending while the log is read anew). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Starts reading the log; resolves once first caught up (also when `ready` does). */
  async start(): Promise<void> {
    await this.#o.log.follow({
      record: (value) => this.#receive(value),
      rewind: (reason) => this.#rewind(reason),
      caughtUp: () => this.#caughtUpNow(),
    });
  }

  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  /** Tells `listener` each change that arrives once caught up. */
  onChange(listener: (control: TradingControl) => void): void {
    this.#listeners.push(listener);
  }

  /** The state that applies to a target now. */
  resolve(target: ControlTarget): ResolvedState {
    return this.#controls.resolve(target, this.#o.clock.now());
  }

  /**
   * A halt with `cancel_open` in force over a target, if any: its open orders are to be
   * cancelled, including those that show open only after the halt. A later change of that scope
   * (a resume) ends it.
   */
  cancellingHalt(target: ControlTarget): TradingControl | null {
    const now = this.#o.clock.now();
    const halts = this.#controls
      .list(now)
      .filter(
        (control) =>
          control.state === "HALTED" && control.cancel_open && controlApplies(control, target, now),
      );
    return halts[0] ?? null;
  }

  /** The latest change of every scope, with its key and whether it expired. */
  list() {
    return this.#controls.list(this.#o.clock.now());
  }

  /**
   * Writes a change to the log (it applies here when read back, like everywhere else).
   * @returns the change as written
   */
  async request(request: ControlRequest, operator: string): Promise<TradingControl> {
    const control = controlFromRequest(request, operator, this.#o.clock.now());
    await this.#o.log.append(control);
    return control;
  }

  async stop(): Promise<void> {
    await this.#o.log.close();
  }

  #pending(): Promise<void> {
    return new Promise((resolve) => {
      this.#markReady = resolve;
    });
  }

  #rewind(reason: string): void {
    this.#rebuilding = new TradingControls();
    if (this.#caughtUp) {
      this.#caughtUp = false;
      this.#ready = this.#pending();
    }
    this.#o.logger.error(
      { reason },
      "trading controls no longer known: the control log is read again from its beginning; no order goes out until then",
    );
  }

  #caughtUpNow(): void {
    const changed = this.#rebuilding ? this.#adopt(this.#rebuilding) : [];
    this.#rebuilding = null;
    this.#caughtUp = true;
    this.#markReady();
    this.#o.logger.info(
      { scopes: this.#controls.list(this.#o.clock.now()).length },
      "trading controls read: orders may go out",
    );
    for (const control of changed) this.#tell(control);
  }

  /**
   * Puts a view read anew in force; scopes it lacks keep their state. Resolves with the changes it
   * brings (a record read again changes nothing, and is told to no listener a second time).
   */
  #adopt(rebuilt: TradingControls): TradingControl[] {
    const now = this.#o.clock.now();
    const before = new Map(this.#controls.list(now).map(({ key, expired, ...c }) => [key, c]));
    const after = new Map(rebuilt.list(now).map(({ key, expired, ...c }) => [key, c]));
    const kept = [...before].filter(([key]) => !after.has(key));
    for (const [, control] of kept) rebuilt.apply(control);
    if (kept.length > 0) {
      this.#o.logger.error(
        { scopes: kept.map(([key]) => key) },
        "scopes missing from the control log read anew (was the topic re-created?) keep their last state here: set them again on the topic",
      );
    }
    this.#controls = rebuilt;
    return [...after]
      .filter(([key, control]) => JSON.stringify(before.get(key)) !== JSON.stringify(control))
      .map(([, control]) => control);
  }

  #receive(value: string): void {
    const parsed = parseJson(value);
    const decoded = parsed.ok ? TradingControlSchema.safeParse(parsed.value) : null;
    if (!decoded?.success) {
      this.#o.logger.error(
        { reason: decoded ? decoded.error.message : "not JSON" },
        "a record on the control topic does not parse: ignored (it changes nothing)",
      );
      return;
    }
    const control = decoded.data;
    (this.#rebuilding ?? this.#controls).apply(control);
    if (this.#caughtUp) this.#tell(control);
  }

  #tell(control: TradingControl): void {
    this.#o.logger.warn(
      {
        scope: controlKey(control),
        state: control.state,
        operator: control.operator,
        reason: control.reason,
        cancel_open: control.cancel_open,
        expires_at: control.expires_at,
      },
      "trading state changed",
    );
    for (const listener of this.#listeners) {
      try {
        listener(control);
      } catch (error) {
        this.#o.logger.error({ err: errorMessage(error) }, "a trading-state listener failed");
      }
    }
  }
}
