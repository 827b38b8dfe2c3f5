import type { ServerResponse } from "node:http";

/**
 * One server-sent event as the wire has it: `id:`, `event:` and one `data:` line of JSON, ended
 * by a blank line. JSON.stringify escapes newlines inside strings, so the data is one line.
 */
export function sseFrame(event: string, data: unknown, id?: number): string {
  const head = id === undefined ? "" : `id: ${id}\n`;
  return `${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps idle proxies and the browser from dropping the connection. */
export const SSE_KEEPALIVE = ": keep-alive\n\n";

/**
 * The open server-sent-event connections: each is written to until its client goes or the server
 * stops (`closeAll`, before the HTTP server closes, or it would wait for them for ever).
 */
export class EventStreams {
  readonly #open = new Set<ServerResponse>();
  readonly #keepAlive: NodeJS.Timeout;

  /** @param keepAliveMs how often an idle comment is sent, ms */
  constructor(keepAliveMs = 15_000) {
    this.#keepAlive = setInterval(() => this.broadcast(SSE_KEEPALIVE), keepAliveMs);
    this.#keepAlive.unref();
  }

  /** Starts an event stream on `response`; `onClose` runs once the client has gone. */
  open(response: ServerResponse, onClose: () => void): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Reverse proxies (nginx) would otherwise buffer the stream.
      "x-accel-buffering": "no",
    });
    response.write("retry: 2000\n\n");
    this.#open.add(response);
    response.on("close", () => {
      this.#open.delete(response);
      onClose();
    });
  }

  /** Writes `frame` to one stream, unless it has closed. */
  send(response: ServerResponse, frame: string): void {
    if (!response.writableEnded && !response.destroyed) response.write(frame);
  }

  broadcast(frame: string): void {
    for (const response of this.#open) this.send(response, frame);
  }

  get size(): number {
    return this.#open.size;
  }

  closeAll(): void {
    clearInterval(this.#keepAlive);
    for (const response of this.#open) response.end();
    this.#open.clear();
  }
}
