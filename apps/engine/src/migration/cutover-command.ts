import Table from "cli-table3";
import type { Command } from "commander";
import { applyCutover, prepareCutover } from "./cutover.js";
import type { CutoverPlan } from "./cutover-plan.js";
import { EXIT_REFUSED, MigrationUsageError, reportCommandError } from "./migration-errors.js";
import { migrationSite, withAdmin } from "./migration-kafka.js";

interface CutoverOptions {
  fromGroup?: string;
  toGroup?: string;
  group?: string;
  topic?: string;
  allowRewind?: boolean;
  yes?: boolean;
}

/** Adds `engine cutover` to the CLI. */
export function registerCutoverCommand(program: Command): void {
  program
    .command("cutover")
    .description(
      "Copy committed offsets on the signals topic from the old engine's consumer group to this engine's (--from-group), or back (--to-group, rollback). Both engines must be stopped. Prints the plan; --yes applies it.",
    )
    .option("--from-group <group>", "cut over: the old engine's group is the source")
    .option("--to-group <group>", "roll back: the old engine's group is the target")
    .option(
      "--group <group>",
      "this engine's signals group (default: {KAFKA_GROUP_ID_PREFIX}.trading_engine)",
    )
    .option("--topic <topic>", "the signals topic (default: {BROKER_NAMESPACE}.signals.validated)")
    .option("--allow-rewind", "allow moving the target group backwards (repeats signals)")
    .option("--yes", "apply the plan")
    .action(async (options: CutoverOptions) => {
      try {
        const oldGroup = options.fromGroup ?? options.toGroup;
        if (!oldGroup || (options.fromGroup && options.toGroup)) {
          throw new MigrationUsageError("give exactly one of --from-group or --to-group");
        }
        const site = migrationSite(process.env, "cutover");
        const request = {
          topic: options.topic ?? site.signalsTopic,
          oldGroup,
          newGroup: options.group ?? site.engineGroup,
          direction: options.fromGroup ? ("cutover" as const) : ("rollback" as const),
          allowRewind: options.allowRewind ?? false,
        };
        await withAdmin(site.kafka, async (admin) => {
          const plan = await prepareCutover(admin, request);
          process.stdout.write(formatPlan(plan));
          if (plan.problems.length > 0) {
            process.stderr.write(`refused:\n${plan.problems.map((p) => `  - ${p}`).join("\n")}\n`);
            process.exitCode = EXIT_REFUSED;
            return;
          }
          if (!options.yes) {
            process.stdout.write("dry run: nothing changed; run again with --yes to apply\n");
            return;
          }
          await applyCutover(admin, plan);
          process.stdout.write(
            `applied: "${plan.targetGroup}" now starts where "${plan.sourceGroup}" stopped\n`,
          );
        });
      } catch (error) {
        reportCommandError(error);
      }
    });
}

/** The plan as a table: per partition, from → to and the signals between. */
export function formatPlan(plan: CutoverPlan): string {
  const table = new Table({
    head: ["partition", "target now", "target after", "signals between", "signals waiting"],
    style: { head: [], border: [], compact: true },
  });
  for (const step of plan.steps) {
    table.push([step.partition, step.from ?? "none", step.to, step.between ?? "n/a", step.waiting]);
  }
  return `cut-over of "${plan.targetGroup}" to the offsets of "${plan.sourceGroup}" on ${plan.topic}\n${table.toString()}\n`;
}
