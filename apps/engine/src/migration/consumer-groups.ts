import type { Admin } from "kafkajs";
import type { PartitionOffsets } from "./cutover-plan.js";
import { GroupHasMembersError } from "./migration-errors.js";

/** Kafka's "no committed offset" marker in OffsetFetch answers. */
const NO_OFFSET = "-1";

/** Members of a consumer group now (`clientId@host`), empty when it is Empty or Dead. */
export async function groupMembers(admin: Admin, groupId: string): Promise<string[]> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups.find((g) => g.groupId === groupId);
  return (group?.members ?? []).map((m) => `${m.clientId}@${m.clientHost}`);
}

/** @throws GroupHasMembersError when any of `groupIds` has an active member */
export async function assertGroupsIdle(admin: Admin, groupIds: readonly string[]): Promise<void> {
  for (const groupId of groupIds) {
    const members = await groupMembers(admin, groupId);
    if (members.length > 0) throw new GroupHasMembersError(groupId, members);
  }
}

/** A group's committed offset per partition of `topic`; partitions it never committed are absent. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, string>> {
  const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const offsets = new Map<number, string>();
  for (const { partition, offset } of answer?.partitions ?? []) {
    if (offset !== NO_OFFSET) offsets.set(partition, offset);
  }
  return offsets;
}

/** Per partition of `topic`: its bounds and both groups' committed offsets. */
export async function partitionOffsets(
  admin: Admin,
  topic: string,
  sourceGroup: string,
  targetGroup: string,
): Promise<PartitionOffsets[]> {
  const [bounds, source, target] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    committedOffsets(admin, sourceGroup, topic),
    committedOffsets(admin, targetGroup, topic),
  ]);
  return bounds.map(({ partition, low, high }) => ({
    partition,
    low,
    high,
    source: source.get(partition) ?? null,
    target: target.get(partition) ?? null,
  }));
}
