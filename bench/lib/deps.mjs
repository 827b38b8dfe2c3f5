// The Kafka client and PostgreSQL driver, resolved from the engine app: the baseline consumer and
// the load generators use exactly the kafkajs the engine runs, and the bench needs no packages of
// its own.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../apps/engine/package.json", import.meta.url));

export const { Kafka, logLevel, Partitioners } = require("kafkajs");
export const pg = require("pg");
