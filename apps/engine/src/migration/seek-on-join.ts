import type { Consumer } from "kafkajs";

/** Where a consumer is to start reading one partition. */
export interface StartPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Seeks every listed partition as soon as the consumer joins its group (kafkajs seeks only once
 * it runs), so a throw-away group reads from exactly there. Preferred to `admin.setOffsets` on a
 * fresh group, which waits seconds per topic for the group's coordinator. Call before `run`.
 */
export function seekOnJoin(consumer: Consumer, positions: readonly StartPosition[]): Promise<void> {
  return new Promise((resolve) => {
    const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      remove();
      for (const position of positions) consumer.seek(position);
      resolve();
    });
  });
}
