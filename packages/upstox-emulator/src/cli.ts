#!/usr/bin/env node
import { parseArgs } from "node:util";
import { UpstoxEmulator } from "./upstox-emulator.js";

/*
 * Runs the emulator as a sandbox: `upstox-emulator --port 9300 --token t --fill-delay-ms 500`.
 * Prints the base URL (set UPSTOX_API_ROOT and UPSTOX_ORDER_API_ROOT to it) and runs until
 * SIGINT or SIGTERM.
 */
const { values } = parseArgs({
  options: {
    port: { type: "string", default: "9300" },
    host: { type: "string", default: "127.0.0.1" },
    token: { type: "string" },
    "fill-delay-ms": { type: "string" },
    "fill-steps": { type: "string" },
    "available-funds": { type: "string" },
    "latency-ms": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "upstox-emulator [--port 9300] [--host 127.0.0.1] [--token T] [--fill-delay-ms N]\n" +
      "                [--fill-steps N] [--available-funds RUPEES] [--latency-ms N]\n",
  );
  process.exit(0);
}

const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
const emulator = new UpstoxEmulator({
  ...(values.token === undefined ? {} : { accessToken: values.token }),
  ...(values["fill-delay-ms"] === undefined
    ? {}
    : { fillDelayMs: number(values["fill-delay-ms"]) }),
  ...(values["fill-steps"] === undefined ? {} : { fillSteps: number(values["fill-steps"]) }),
  ...(values["available-funds"] === undefined
    ? {}
    : { availableFunds: number(values["available-funds"]) }),
});
if (values["latency-ms"] !== undefined)
  emulator.setFaults({ latencyMs: number(values["latency-ms"]) });
const url = await emulator.start({ port: Number(values.port), host: values.host });
process.stdout.write(`upstox emulator listening on ${url}\n`);
process.stdout.write(`instrument master: ${emulator.instrumentMasterUrl}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void emulator.stop().then(() => process.exit(0)));
}
