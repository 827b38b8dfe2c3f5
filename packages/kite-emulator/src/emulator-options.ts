import { z } from "zod";
import { InstrumentSchema } from "./instruments/instrument.js";

/** Serialisable options of the emulator; defaults make `new KiteEmulator()` usable as is. */
export const KiteEmulatorOptionsSchema = z
  .object({
    /** The one api_key the emulator accepts. */
    apiKey: z.string().min(1).default("kite_emulator_key"),
    /** The initially valid access token. */
    accessToken: z.string().min(1).default("kite_emulator_token"),
    userId: z.string().min(1).default("AB1234"),
    userName: z.string().min(1).default("Emulated Trader"),
    /** Replaces the default instrument table. */
    instruments: z.array(InstrumentSchema).optional(),
    /** Adds this many synthetic `SYN…` NSE equities, for scale tests. */
    syntheticInstruments: z.number().int().nonnegative().default(0),
    /** Equity cash available for new orders. */
    availableMargin: z.number().nonnegative().default(10_000_000),
    /** Time from placement to the (last) fill; 0 completes an order on the next read. */
    fillDelayMs: z.number().nonnegative().default(50),
    /** Fill an order in this many partial fills. */
    fillSteps: z.number().int().positive().default(1),
    /**
     * Milliseconds a new order stays out of `GET /orders` (and its fills out of `GET /trades`)
     * after its placement; `setFaults({ orderBookLagMs })` changes it, `clearFaults()` and
     * `reset()` come back to this value.
     */
    orderBookLagMs: z.number().int().nonnegative().default(0),
    /** Kite's per-account order limits, shared by place, modify and cancel; 0 turns one off. */
    ordersPerSecond: z.number().int().nonnegative().default(10),
    ordersPerMinute: z.number().int().nonnegative().default(400),
    /** Body of the rate limiter's 429: Kite's JSON NetworkException, or plain text. */
    rateLimitFormat: z.enum(["json", "text"]).default("json"),
    /** Postbacks are sent only when both the URL and the secret (for the checksum) are set. */
    postbackUrl: z.url().optional(),
    apiSecret: z.string().min(1).optional(),
    /** Requests kept in the request log. */
    requestLogLimit: z.number().int().positive().default(10_000),
  })
  .refine((o) => (o.postbackUrl === undefined) === (o.apiSecret === undefined), {
    message: "postbackUrl and apiSecret must be set together",
  });

/** Parsed options with defaults applied. */
export type ResolvedOptions = z.output<typeof KiteEmulatorOptionsSchema>;

/** Options of `new KiteEmulator(options)`. */
export type KiteEmulatorOptions = z.input<typeof KiteEmulatorOptionsSchema> & {
  /** Epoch milliseconds; inject a fake clock to step order lifecycles deterministically. */
  clock?: () => number;
  /** Uniform [0, 1) source for probabilistic faults; inject a seeded one for repeatable runs. */
  random?: () => number;
};
