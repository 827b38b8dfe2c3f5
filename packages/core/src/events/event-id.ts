import { v7 as uuidv7 } from "uuid";

/** A new globally unique event id (UUID v7: time-ordered, as the contract prefers). */
export function newEventId(): string {
  return uuidv7();
}
