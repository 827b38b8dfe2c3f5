import { describe, expect, it } from "vitest";
import { controlTopicRetentionProblem } from "./kafka-control-log.js";

describe("controlTopicRetentionProblem", () => {
  it.each([
    [{ "cleanup.policy": "compact", "retention.ms": "604800000" }, false],
    [{ "cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1" }, false],
    [{ "cleanup.policy": "delete", "retention.ms": "604800000" }, true],
    [{ "cleanup.policy": "compact,delete", "retention.ms": "604800000" }, true],
    [{ "cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "1073741824" }, true],
  ])("refuses a topic that can delete a halt by age or size: %o → %s", (config, refused) => {
    expect(controlTopicRetentionProblem(config) !== null).toBe(refused);
  });
});
