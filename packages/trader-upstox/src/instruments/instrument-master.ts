import { gunzipSync } from "node:zlib";
import { errorMessage, type Logger } from "@engine/core";
import type { InstrumentTable } from "./instrument-table.js";
import {
  type UpstoxInstrument,
  UpstoxInstrumentIndex,
  UpstoxInstrumentSchema,
} from "./upstox-instrument.js";

/** How the master is fetched and kept. */
export interface InstrumentMasterOptions {
  url: string;
  timeoutMs: number;
  table: InstrumentTable | null;
  logger: Logger;
  now: () => Date;
}

const DAY_MS = 86_400_000;

/**
 * Upstox's daily instrument master: downloaded (gzip'd JSON), kept in memory and in
 * `upstox_instruments`, refreshed once a day. When the download fails the stored copy is used;
 * a refresh that fails keeps what is in memory.
 */
export class InstrumentMaster {
  readonly index = new UpstoxInstrumentIndex();
  readonly #options: InstrumentMasterOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: InstrumentMasterOptions) {
    this.#options = options;
  }

  /** Loads the master (download, else the stored copy); resolves whether any instrument is known. */
  async load(): Promise<boolean> {
    const { logger, table } = this.#options;
    try {
      const rows = await this.#download();
      this.index.replace(rows);
      await table
        ?.save(rows, this.#options.now())
        .catch((error: unknown) =>
          logger.warn(
            { reason: errorMessage(error) },
            "could not store the Upstox instrument master",
          ),
        );
    } catch (error) {
      logger.warn(
        { reason: errorMessage(error) },
        "could not download the Upstox instrument master",
      );
      if (table !== null) {
        try {
          this.index.replace(await table.load());
        } catch (stored) {
          logger.error({ reason: errorMessage(stored) }, "could not read upstox_instruments");
        }
      }
    }
    return this.index.size > 0;
  }

  /** Refreshes once a day until `stop`. */
  start(): void {
    this.#timer ??= setInterval(() => void this.load(), DAY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #download(): Promise<UpstoxInstrument[]> {
    const response = await fetch(this.#options.url, {
      signal: AbortSignal.timeout(Math.max(this.#options.timeoutMs, 30_000)),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} for the instrument master`);
    const bytes = Buffer.from(await response.arrayBuffer());
    // The file is gzip'd; a server that already decoded it sends plain JSON.
    const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString(
      "utf8",
    );
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error("the instrument master is not a JSON array");
    const rows: UpstoxInstrument[] = [];
    for (const raw of parsed) {
      // One odd row (an index without a lot size, say) must not cost the whole master.
      const row = UpstoxInstrumentSchema.safeParse(raw);
      if (row.success) rows.push(row.data);
    }
    if (rows.length === 0) throw new Error("the instrument master has no usable row");
    return rows;
  }
}
