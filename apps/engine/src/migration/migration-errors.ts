import { EngineError } from "@engine/core";

/**
 * A consumer group still has members, so its offsets cannot be moved safely (and Kafka would
 * refuse to). Retryable: it goes away once that engine is stopped.
 */
export class GroupHasMembersError extends EngineError {
  constructor(groupId: string, members: readonly string[]) {
    super(
      "GROUP_HAS_MEMBERS",
      `consumer group "${groupId}" has ${members.length} active member(s) (${members.join(", ")}): stop that engine gracefully first`,
      { group_id: groupId, members: [...members] },
      { retryable: true },
    );
  }
}

/**
 * The cut-over would lose or repeat signals (a partition the source group never committed, or
 * moving the target group backwards): not retryable, an operator must decide.
 */
export class CutoverRefusedError extends EngineError {
  constructor(problems: readonly string[]) {
    super("CUTOVER_REFUSED", `cut-over refused: ${problems.join("; ")}`, {
      problems: [...problems],
    });
  }
}

/** The command line asked for something that cannot be done (bad window, no Kafka). */
export class MigrationUsageError extends EngineError {
  constructor(message: string) {
    super("MIGRATION_USAGE", message);
  }
}

/** Exit code of a command line that cannot be done as given. */
export const EXIT_USAGE = 2;
/** Exit code of a refused cut-over (members present, offsets missing, rewind). */
export const EXIT_REFUSED = 3;

/**
 * Reports an operator-facing error as one line and a distinct exit code (no stack: the message
 * says what to do); anything else is a bug or broken infrastructure and is rethrown.
 */
export function reportCommandError(error: unknown): void {
  if (error instanceof MigrationUsageError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (error instanceof GroupHasMembersError || error instanceof CutoverRefusedError) {
    process.stderr.write(`refused: ${error.message}\n`);
    process.exitCode = EXIT_REFUSED;
    return;
  }
  throw error;
}
