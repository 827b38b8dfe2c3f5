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
 */
export class ControlBoard {
  readonly #o: ControlBoardOptions;
  readonly #controls = new TradingControls();
  readonly #listeners: ((control: TradingControl) => void)[] = [];
  #caughtUp = false;
  /** The log position of the last record applied. */
  #position = -1n;
  #markReady: () => void = () => {};
  /** Resolves once every change made before the start was read. */
  readonly ready: Promise<void>;

  constructor(options: ControlBoardOptions) {
    this.#o = options;
    this.ready = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    options.metrics.tradingStates = () => this.list();
  }

  /** Starts reading the log; resolves once caught up (also when `ready` does). */
  async start(): Promise<void> {
    await this.#o.log.follow((value, position) => {
      // A record read again (the reader restarted from the beginning after a consumer crash)
      // changes nothing: replaying it could go back to an earlier state, or cancel again.
      if (position <= this.#position) return;
      this.#position = position;
      this.#receive(value);
    });
    this.#caughtUp = true;
    this.#markReady();
    this.#o.logger.info(
      { scopes: this.#controls.list(this.#o.clock.now()).length },
      "trading controls read: orders may go out",
    );
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
    this.#controls.apply(control);
    if (!this.#caughtUp) return;
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
