/** Where one partition of the signals topic stands for the two groups, as Kafka reports it. */
export interface PartitionOffsets {
  partition: number;
  /** First retained offset. */
  low: string;
  /** High watermark: the offset the next signal gets. */
  high: string;
  /** The source group's committed offset (next signal it would read), null when none. */
  source: string | null;
  /** The target group's committed offset, null when none. */
  target: string | null;
}

/** What the cut-over does to one partition. */
export interface CutoverStep {
  partition: number;
  /** The target group's committed offset now, null when it has none. */
  from: string | null;
  /** The offset the target group gets: the source group's. */
  to: string;
  /**
   * Signals between the two groups' offsets (`to - from`): positive, the target skips them
   * because the source group handled them; negative, the target would read them again. Null when
   * the target has no offset.
   */
  between: number | null;
  /** Signals the target will find waiting once it starts (`high - to`). */
  waiting: number;
}

export interface CutoverPlan {
  topic: string;
  sourceGroup: string;
  targetGroup: string;
  steps: CutoverStep[];
  /** Why the plan must not be applied; empty when it may. */
  problems: string[];
}

/**
 * The cut-over of `targetGroup` to `sourceGroup`'s committed offsets on `topic`. Pure: refusals
 * are listed in `problems`, never thrown, so the plan can be printed with them.
 *
 * A partition the source never committed is taken at its end only when it is empty (then
 * earliest and latest are the same signal); otherwise nobody can say where the source stopped.
 * Moving the target backwards repeats signals it already executed, so it needs `allowRewind`.
 */
export function planCutover(input: {
  topic: string;
  sourceGroup: string;
  targetGroup: string;
  partitions: readonly PartitionOffsets[];
  allowRewind?: boolean;
}): CutoverPlan {
  const problems: string[] = [];
  const steps: CutoverStep[] = [];
  if (input.sourceGroup === input.targetGroup) {
    problems.push(`source and target are the same group "${input.sourceGroup}"`);
  }
  for (const p of [...input.partitions].sort((a, b) => a.partition - b.partition)) {
    let to = p.source;
    if (to === null) {
      if (p.low !== p.high) {
        problems.push(
          `partition ${p.partition}: "${input.sourceGroup}" has no committed offset and ${BigInt(p.high) - BigInt(p.low)} signal(s) are retained`,
        );
        continue;
      }
      to = p.high;
    }
    const between = p.target === null ? null : Number(BigInt(to) - BigInt(p.target));
    if (between !== null && between < 0 && !input.allowRewind) {
      problems.push(
        `partition ${p.partition}: "${input.targetGroup}" is ${-between} signal(s) ahead of "${input.sourceGroup}"; moving it back executes them again (--allow-rewind)`,
      );
    }
    steps.push({
      partition: p.partition,
      from: p.target,
      to,
      between,
      waiting: Number(BigInt(p.high) - BigInt(to)),
    });
  }
  return {
    topic: input.topic,
    sourceGroup: input.sourceGroup,
    targetGroup: input.targetGroup,
    steps,
    problems,
  };
}
