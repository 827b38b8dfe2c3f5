import { type Env, loadSettings } from "@engine/core";
import { type Admin, Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import { type EngineSettings, EngineSettingsSchema } from "../settings/engine-settings.js";
import { MigrationUsageError } from "./migration-errors.js";

/** What the migration commands need of the engine's settings. */
export interface MigrationSite {
  kafka: Kafka;
  settings: EngineSettings;
  /** The normal engine's signals group: `{KAFKA_GROUP_ID_PREFIX}.trading_engine`. */
  engineGroup: string;
  /** The input topic: `{BROKER_NAMESPACE}.signals.validated`. */
  signalsTopic: string;
}

/**
 * The engine's own Kafka settings (the same variables `engine start` reads), so the commands
 * act on the groups and topics the engine uses.
 * @throws SettingsError for bad variables; MigrationUsageError without KAFKA_BROKERS
 */
export function migrationSite(env: Env, clientSuffix: string): MigrationSite {
  const settings = loadSettings(EngineSettingsSchema, env);
  if (!settings.kafka) throw new MigrationUsageError("KAFKA_BROKERS is required");
  const config: KafkaConfig = {
    clientId: `${settings.kafka.clientId}-${clientSuffix}`,
    brokers: settings.kafka.brokers,
    ssl: settings.kafka.ssl,
    logLevel: logLevel.ERROR,
  };
  if (settings.kafka.sasl) config.sasl = settings.kafka.sasl as SASLOptions;
  return {
    kafka: new Kafka(config),
    settings,
    engineGroup: `${settings.groupIdPrefix}.trading_engine`,
    signalsTopic: `${settings.namespace}.signals.validated`,
  };
}

/** Runs `use` with a connected admin client, disconnecting it afterwards. */
export async function withAdmin<T>(kafka: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}
