import type { ComparisonReport } from "../../../src/migration/comparison-report.js";
import { childEnv, runCli, scratchDir } from "./engine-process.js";
import { KAFKA_BROKERS } from "./environment.js";

/**
 * The engine's migration commands (`cutover`, `compare`) run as processes on the real Kafka for
 * one input namespace, with what they printed kept for failure messages.
 */
export class MigrationCli {
  readonly logDir = scratchDir("engine-migration");
  readonly outputs: string[] = [];
  readonly #env: Record<string, string>;
  #runs = 0;

  /** `groupIdPrefix`: the new engine's `KAFKA_GROUP_ID_PREFIX` (cutover needs it). */
  constructor(site: { namespace: string; groupIdPrefix?: string }) {
    this.#env = {
      KAFKA_BROKERS,
      BROKER_NAMESPACE: site.namespace,
      ...(site.groupIdPrefix ? { KAFKA_GROUP_ID_PREFIX: site.groupIdPrefix } : {}),
    };
  }

  async run(args: string[]) {
    this.#runs += 1;
    const run = await runCli({
      name: `${args[0]}-${this.#runs}`,
      args,
      env: childEnv(this.#env),
      logDir: this.logDir,
    });
    this.outputs.push(`$ engine ${args.join(" ")}\n${run.output}`);
    return run;
  }

  /** `engine compare <args> --json`, its report parsed; throws with the output unless exit 0. */
  async compareJson(args: string[]): Promise<ComparisonReport> {
    const run = await this.run(["compare", ...args, "--json"]);
    if (run.exit.code !== 0) throw new Error(`compare exited ${run.exit.code}:\n${run.output}`);
    return JSON.parse(run.stdout) as ComparisonReport;
  }

  /**
   * `engine compare` of paper over the signals since `from`, both engines' results on the same
   * (unprefixed) topics: after a cut-over, how the runbook finds signals executed twice.
   */
  compareCutoverWindow(from: string): Promise<ComparisonReport> {
    const to = new Date().toISOString();
    return this.compareJson([
      "--from",
      from,
      "--to",
      to,
      "--new-prefix",
      "",
      "--namespaces",
      "paper",
    ]);
  }
}
