#!/usr/bin/env node
import { parseArgs } from "node:util";
import { KiteEmulator } from "./kite-emulator.js";

const USAGE = `Usage: kite-emulator [options]

Serves Kite Connect v3 (orders, instruments, user) locally, for tests and as a sandbox.

  --port <n>            TCP port (default 8765; 0 picks a free one)
  --host <addr>         interface (default 127.0.0.1)
  --api-key <key>       accepted api_key (default kite_emulator_key)
  --access-token <tok>  accepted access token (default kite_emulator_token)
  --fill-delay-ms <n>   placement to fill, in ms (default 50)
  --fill-steps <n>      partial fills per order (default 1)
  --order-book-lag-ms <n>
                        keep a new order out of GET /orders and GET /trades for n ms (default 0)
  --margin <n>          available equity cash (default 10000000)
  --synthetic <n>       add n synthetic instruments
  --postback-url <url>  POST order updates here (needs --api-secret)
  --api-secret <s>      secret for the postback checksum
  -h, --help            show this help

Control it over HTTP under /__emulator/ (orders, stats, requests, faults, token, price, margin,
fills, release, reset); see the package README.`;

function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number, got "${value}"`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "api-key": { type: "string" },
      "access-token": { type: "string" },
      "fill-delay-ms": { type: "string" },
      "fill-steps": { type: "string" },
      "order-book-lag-ms": { type: "string" },
      margin: { type: "string" },
      synthetic: { type: "string" },
      "postback-url": { type: "string" },
      "api-secret": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const emulator = new KiteEmulator({
    apiKey: values["api-key"],
    accessToken: values["access-token"],
    fillDelayMs: numberOption("fill-delay-ms", values["fill-delay-ms"]),
    fillSteps: numberOption("fill-steps", values["fill-steps"]),
    orderBookLagMs: numberOption("order-book-lag-ms", values["order-book-lag-ms"]),
    availableMargin: numberOption("margin", values.margin),
    syntheticInstruments: numberOption("synthetic", values.synthetic),
    postbackUrl: values["postback-url"],
    apiSecret: values["api-secret"],
  });
  const url = await emulator.start({
    port: numberOption("port", values.port) ?? 8765,
    host: values.host ?? "127.0.0.1",
  });
  process.stdout.write(
    `kite-emulator listening on ${url}\n` +
      `instruments: ${emulator.instrumentCount}\n` +
      `api_key: ${emulator.apiKey}\n`,
  );

  const shutdown = (signal: NodeJS.Signals): void => {
    process.stdout.write(`received ${signal}, stopping\n`);
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `kite-emulator: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
