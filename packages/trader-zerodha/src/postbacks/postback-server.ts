import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@engine/core";
import { z } from "zod";
import { verifyPostbackChecksum } from "./postback-checksum.js";

/** A postback is one order's JSON; anything much larger is not Kite's. */
const MAX_BODY_BYTES = 64 * 1024;

/** The fields of Kite's postback body that are read (the rest is ignored). */
const PostbackSchema = z.object({
  order_id: z.union([z.string().min(1), z.number()]).transform(String),
  order_timestamp: z.string().min(1),
  checksum: z.string(),
  status: z.string().optional(),
});

/** A postback whose checksum was verified. */
export interface VerifiedPostback {
  orderId: string;
  status: string | null;
}

export interface PostbackServerOptions {
  port: number;
  /** Interface to listen on; all of them by default, since Kite posts from outside. */
  host?: string;
  apiSecret: string;
  logger: Logger;
  onPostback(postback: VerifiedPostback): void;
}

/**
 * Receives Kite's order postbacks (raw JSON POSTs to the app's postback URL) on a small
 * `node:http` listener. A postback counts only when its checksum,
 * `sha256(order_id + order_timestamp + api_secret)`, matches: anybody can POST to a public URL.
 * A verified postback only says that orders changed (the engine then asks Kite for status
 * reports at once): its own fields are never trusted as the order's state.
 */
export class PostbackServer {
  readonly #o: PostbackServerOptions;
  #server: Server | undefined;

  constructor(options: PostbackServerOptions) {
    this.#o = options;
  }

  /** Starts listening; resolves with the URL (handy with port 0 in tests). */
  async start(): Promise<string> {
    if (this.#server !== undefined) return this.url;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch(() => reply(res, 500, "internal error"));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#o.port, this.#o.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    this.#o.logger.info({ url: this.url }, "listening for Kite postbacks");
    return this.url;
  }

  /** The listening URL. */
  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) return "";
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") return reply(res, 405, "POST only");
    const body = await readBody(req);
    if (body === null) return reply(res, 413, "body too large");
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return reply(res, 400, "not JSON");
    }
    const parsed = PostbackSchema.safeParse(json);
    if (!parsed.success) return reply(res, 400, "not a Kite postback");
    const { order_id, order_timestamp, checksum, status } = parsed.data;
    if (!verifyPostbackChecksum(order_id, order_timestamp, checksum, this.#o.apiSecret)) {
      this.#o.logger.warn({ order_id }, "rejected a postback with a wrong checksum");
      return reply(res, 403, "bad checksum");
    }
    this.#o.logger.debug({ order_id, status }, "Kite postback");
    this.#o.onPostback({ orderId: order_id, status: status ?? null });
    reply(res, 200, "ok");
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(text);
}

/** The body as text, or null when it exceeds the limit. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
