import type { Admin } from "kafkajs";
import { assertGroupsIdle, committedOffsets, partitionOffsets } from "./consumer-groups.js";
import { type CutoverPlan, planCutover } from "./cutover-plan.js";
import { CutoverRefusedError, MigrationUsageError } from "./migration-errors.js";

/** Which groups a cut-over moves: `from` the old engine's, or back `to` it (rollback). */
export interface CutoverRequest {
  /** The signals topic (`{ns}.signals.validated`). */
  topic: string;
  /** The old engine's consumer group. */
  oldGroup: string;
  /** The new engine's signals group (`{KAFKA_GROUP_ID_PREFIX}.trading_engine`). */
  newGroup: string;
  /** `cutover`: old → new; `rollback`: new → old. */
  direction: "cutover" | "rollback";
  allowRewind?: boolean;
}

/**
 * Reads both groups and the topic and plans the move. Neither group may have members: a running
 * engine would commit over the copied offsets, and Kafka refuses offsets set on a live group.
 * @throws GroupHasMembersError (retryable) when either group has a member
 * @throws MigrationUsageError when the topic does not exist
 */
export async function prepareCutover(admin: Admin, request: CutoverRequest): Promise<CutoverPlan> {
  const [sourceGroup, targetGroup] =
    request.direction === "cutover"
      ? [request.oldGroup, request.newGroup]
      : [request.newGroup, request.oldGroup];
  if (!(await admin.listTopics()).includes(request.topic)) {
    throw new MigrationUsageError(`topic "${request.topic}" does not exist`);
  }
  await assertGroupsIdle(admin, [sourceGroup, targetGroup]);
  return planCutover({
    topic: request.topic,
    sourceGroup,
    targetGroup,
    partitions: await partitionOffsets(admin, request.topic, sourceGroup, targetGroup),
    allowRewind: request.allowRewind ?? false,
  });
}

/**
 * Sets the target group's offsets as planned, after checking again that both groups are idle
 * (the plan may have been printed a while ago), then reads them back.
 * @throws CutoverRefusedError when the plan lists problems, or the offsets read back differ
 * @throws GroupHasMembersError when either group gained a member since the plan
 */
export async function applyCutover(admin: Admin, plan: CutoverPlan): Promise<void> {
  if (plan.problems.length > 0) throw new CutoverRefusedError(plan.problems);
  await assertGroupsIdle(admin, [plan.sourceGroup, plan.targetGroup]);
  // The source must not have moved since the plan: else the plan is stale.
  const source = await committedOffsets(admin, plan.sourceGroup, plan.topic);
  const moved = plan.steps.filter((s) => {
    const now = source.get(s.partition);
    return now !== undefined && now !== s.to;
  });
  if (moved.length > 0) {
    throw new CutoverRefusedError([
      `"${plan.sourceGroup}" moved on partition(s) ${moved.map((s) => s.partition).join(", ")} since the plan: run it again`,
    ]);
  }
  await admin.setOffsets({
    groupId: plan.targetGroup,
    topic: plan.topic,
    partitions: plan.steps.map((s) => ({ partition: s.partition, offset: s.to })),
  });
  const after = await committedOffsets(admin, plan.targetGroup, plan.topic);
  const wrong = plan.steps.filter((s) => after.get(s.partition) !== s.to);
  if (wrong.length > 0) {
    throw new CutoverRefusedError([
      `"${plan.targetGroup}" reads back other offsets on partition(s) ${wrong.map((s) => s.partition).join(", ")}`,
    ]);
  }
}
