import type { ServerResponse } from "node:http";
import type { Reply } from "./reply.js";
import type { TimerSet } from "./timer-set.js";

/** Writes a reply, honouring the hang and destroy faults. */
export function writeReply(res: ServerResponse, reply: Reply, timers: TimerSet): void {
  if (res.destroyed || res.writableEnded) return;
  switch (reply.kind) {
    case "destroy":
      res.socket?.destroy();
      return;
    case "hang":
      timers.after(reply.afterMs, () => writeReply(res, reply.reply, timers));
      return;
    case "body":
      res.writeHead(reply.status, {
        "content-type": reply.contentType,
        "content-length": Buffer.byteLength(reply.body),
      });
      res.end(reply.body);
  }
}
