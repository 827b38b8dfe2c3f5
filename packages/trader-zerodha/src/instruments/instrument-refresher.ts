import type { Clock, Logger } from "@engine/core";
import { latestIstTimeAtOrBefore, nextIstTimeAfter } from "../ist-time.js";
import type { Instrument } from "./instrument.js";
import type { StoredInstruments } from "./instrument-repository.js";
import type { InstrumentStore } from "./instrument-store.js";

/** Where a dump is kept between restarts (`InstrumentRepository` on PostgreSQL). */
export interface InstrumentPersistence {
  refreshedAt(): Promise<number | null>;
  load(): Promise<StoredInstruments | null>;
  save(instruments: readonly Instrument[], refreshedAt: number): Promise<void>;
}

/** Kite generates the day's dump early in the morning; one older than this is yesterday's. */
const DUMP_READY_IST = { hours: 8, minutes: 0 } as const;
/** The daily refresh runs a little after, once the new dump is surely out. */
const DAILY_REFRESH_IST = { hours: 8, minutes: 30 } as const;
/** After a failed daily refresh, try again this much later. */
const RETRY_MS = 15 * 60_000;

export interface InstrumentRefresherOptions {
  store: InstrumentStore;
  /** Where the dump is kept between restarts; null keeps it in memory only. */
  repository: InstrumentPersistence | null;
  /** Downloads and parses the dump; rejects when Kite cannot be read. */
  fetchDump: () => Promise<Instrument[]>;
  clock: Clock;
  logger: Logger;
}

/**
 * Keeps the instrument store current: at start from the database when today's dump is already
 * there, else from Kite; then once a day at about 08:30 IST.
 */
export class InstrumentRefresher {
  readonly #o: InstrumentRefresherOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: InstrumentRefresherOptions) {
    this.#o = options;
  }

  /**
   * Fills the store. Resolves false only when no dump at all could be had (neither from Kite nor
   * from the database): without instruments no order can be placed.
   */
  async load(): Promise<boolean> {
    const { repository, logger, clock } = this.#o;
    const freshSince = latestIstTimeAtOrBefore(
      clock.now(),
      DUMP_READY_IST.hours,
      DUMP_READY_IST.minutes,
    );
    let storedAt: number | null = null;
    if (repository !== null) {
      try {
        storedAt = await repository.refreshedAt();
        if (storedAt !== null && storedAt >= freshSince && (await this.#loadStored())) return true;
      } catch (error) {
        logger.warn({ err: errorText(error) }, "could not read stored instruments");
      }
    }
    try {
      await this.refresh();
      return true;
    } catch (error) {
      logger.warn({ err: errorText(error) }, "could not download the instrument dump");
    }
    // Yesterday's dump beats none: most instruments do not change from one day to the next.
    if (storedAt !== null && (await this.#loadStored().catch(() => false))) {
      logger.warn(
        { refreshed_at: new Date(storedAt).toISOString() },
        "using a stale instrument dump",
      );
      return true;
    }
    return this.#o.store.size > 0;
  }

  /** Downloads the dump, swaps it into memory, then stores it. */
  async refresh(): Promise<void> {
    const { store, repository, clock, logger } = this.#o;
    const fetchedAt = clock.now();
    const instruments = await this.#o.fetchDump();
    // An empty dump is a broken download, not a market without instruments.
    if (instruments.length === 0) throw new Error("the instrument dump was empty");
    store.replace(instruments, fetchedAt);
    logger.info({ instruments: instruments.length }, "instruments refreshed");
    if (repository === null) return;
    try {
      await repository.save(instruments, fetchedAt);
    } catch (error) {
      logger.warn({ err: errorText(error) }, "could not store the instrument dump");
    }
  }

  /** Schedules the daily refresh; the timer never keeps the process alive. */
  start(): void {
    this.#stopped = false;
    const now = this.#o.clock.now();
    const at = nextIstTimeAfter(now, DAILY_REFRESH_IST.hours, DAILY_REFRESH_IST.minutes);
    this.#schedule(at - now);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#daily(), Math.max(0, delayMs));
    this.#timer.unref();
  }

  async #daily(): Promise<void> {
    try {
      await this.refresh();
      this.start();
    } catch (error) {
      this.#o.logger.warn(
        { err: errorText(error), retry_in_ms: RETRY_MS },
        "daily instrument refresh failed",
      );
      this.#schedule(RETRY_MS);
    }
  }

  async #loadStored(): Promise<boolean> {
    const stored = await this.#o.repository?.load();
    if (!stored || stored.instruments.length === 0) return false;
    this.#o.store.replace(stored.instruments, stored.refreshedAt);
    this.#o.logger.info(
      { instruments: stored.instruments.length },
      "instruments loaded from the database",
    );
    return true;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
