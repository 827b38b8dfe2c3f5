import { describe, expect } from "vitest";
import { openTestDatabase, type TestDatabase } from "./test-support/database.js";
import { KAFKA_BROKERS } from "./test-support/environment.js";
import { FILE_SCOPE, integrationTest } from "./test-support/fixtures.js";

const ENGINE_TABLES = [
  "engine_execution_journal",
  "engine_signal_journal",
  "strategy_configurations",
] as const;

/** `freshDatabase()` gives a database of its own; `runCli(args, env)` runs the CLI to its end. */
const it = integrationTest.extend("options", FILE_SCOPE, { label: "cli" }).extend(
  "freshDatabase",
  FILE_SCOPE,
  ({ teardown }) =>
    () =>
      openTestDatabase(teardown),
);

async function tables(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
  );
  return rows.map((row) => row.table_name);
}

describe("the engine CLI as a process", () => {
  it("--help lists the start and migrate commands", async ({ runCli }) => {
    const { exit, stdout } = await runCli(["--help"], {});
    expect(exit.code).toBe(0);
    expect(stdout).toMatch(/^\s+start\b/m);
    expect(stdout).toMatch(/^\s+migrate\b/m);
  });

  it("migrate creates the engine's tables in a fresh database, and a second run changes nothing", async ({
    freshDatabase,
    runCli,
  }) => {
    const db = await freshDatabase();
    const first = await runCli(["migrate"], { DATABASE_URL: db.url, LOG_LEVEL: "info" });
    expect(first.exit.code, first.output).toBe(0);
    expect(first.stdout).toContain("migrations applied");
    expect(await tables(db)).toEqual(expect.arrayContaining([...ENGINE_TABLES]));
    const columns = async () =>
      db.query(
        `select table_name, column_name, data_type from information_schema.columns
         where table_schema = 'public' order by table_name, column_name`,
      );
    const before = await columns();

    const second = await runCli(["migrate"], { DATABASE_URL: db.url, LOG_LEVEL: "info" });
    expect(second.exit.code, second.output).toBe(0);
    expect(await columns()).toEqual(before);
  });

  it("migrate leaves an existing strategy_configurations table, its extra column and rows alone", async ({
    freshDatabase,
    runCli,
  }) => {
    const db = await freshDatabase();
    await db.query(`create table strategy_configurations (
      id text primary key,
      strategy_type text,
      instruments jsonb,
      parameters jsonb,
      is_active boolean default true,
      zerodha_trading_enabled boolean default false,
      created_at timestamptz default now(),
      updated_at timestamptz,
      owner_team text not null default 'quant'
    )`);
    await db.query(
      `insert into strategy_configurations (id, strategy_type, instruments, parameters, zerodha_trading_enabled, owner_team)
       values ('kept', 'momentum', '[738561]', '{"window": 20}', true, 'alpha')`,
    );

    for (let i = 0; i < 2; i++) {
      const migrated = await runCli(["migrate"], { DATABASE_URL: db.url });
      expect(migrated.exit.code, migrated.output).toBe(0);
    }
    expect(await tables(db)).toEqual(expect.arrayContaining([...ENGINE_TABLES]));
    expect(
      await db.query(
        "select id, strategy_type, instruments, parameters, zerodha_trading_enabled, owner_team from strategy_configurations",
      ),
    ).toEqual([
      {
        id: "kept",
        strategy_type: "momentum",
        instruments: [738561],
        parameters: { window: 20 },
        zerodha_trading_enabled: true,
        owner_team: "alpha",
      },
    ]);
  });

  it("migrate without DATABASE_URL fails naming it", async ({ runCli }) => {
    const { exit, stderr } = await runCli(["migrate"], {});
    expect(exit.code).not.toBe(0);
    expect(stderr).toContain("DATABASE_URL");
  });

  it("refuses to start on bad configuration, naming every bad variable", async ({
    freshDatabase,
    runCli,
  }) => {
    const db = await freshDatabase();
    const { exit, stderr, output } = await runCli(["start"], {
      KAFKA_BROKERS,
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PARTITIONS: "abc",
      MARKET_HOURS_MODE: "sometimes",
      HTTP_PORT: "0",
    });
    // A configuration error: exit code 2, a message on stderr naming each variable.
    expect(exit.code, output).toBe(2);
    expect(stderr).toContain("KAFKA_TOPIC_PARTITIONS");
    expect(stderr).toContain("MARKET_HOURS_MODE");
    // Rejected before doing anything: no engine started, no table created.
    expect(output).not.toContain("starting trading engine");
    expect(await tables(db)).toEqual([]);
  });

  it("never prints a secret when it refuses to start", async ({ runCli }) => {
    const secret = "s3cr3t-value";
    const dbSecret = "db-pa55-Xq9";
    const { exit, output } = await runCli(["start"], {
      KAFKA_BROKERS,
      DATABASE_URL: `postgres://engine:${dbSecret}@127.0.0.1:5432/none`,
      KAFKA_SASL_MECHANISM: "plain",
      KAFKA_SASL_USERNAME: "u",
      KAFKA_SASL_PASSWORD: secret,
      KAFKA_TOPIC_PARTITIONS: "abc",
      MARKET_HOURS_MODE: "sometimes",
      HTTP_PORT: "0",
    });
    expect(exit.code, output).toBe(2);
    expect(output).toContain("KAFKA_TOPIC_PARTITIONS");
    expect(output).toContain("MARKET_HOURS_MODE");
    expect(output).not.toContain(secret);
    expect(output).not.toContain(dbSecret);
  });
});
