import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of a real service (PostgreSQL), to cut it off from the engine and bring it
 * back: a database outage without stopping the shared database server.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  readonly #held: Socket[] = [];
  #blocked: "refuse" | "hold" | null = null;
  #port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Listens on a free port of 127.0.0.1. */
  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = this.#server.address();
    if (typeof address !== "object" || address === null) throw new Error("proxy has no port");
    this.#port = address.port;
    return this;
  }

  get port(): number {
    return this.#port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(this.#port);
    return proxied.toString();
  }

  /**
   * Cuts every connection open now; new ones are refused at once (`refuse`) or accepted and left
   * without an answer until `unblock()` (`hold`, like a network partition).
   */
  block(mode: "refuse" | "hold" = "refuse"): void {
    this.#blocked = mode;
    for (const socket of this.#open) socket.destroy();
    this.#open.clear();
  }

  /** Lets connections through again, held ones included. */
  unblock(): void {
    this.#blocked = null;
    for (const client of this.#held.splice(0)) {
      if (!client.destroyed) this.#forward(client);
    }
  }

  async stop(): Promise<void> {
    for (const socket of [...this.#open, ...this.#held]) socket.destroy();
    this.#open.clear();
    this.#held.length = 0;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    client.on("error", () => {});
    if (this.#blocked === "refuse") {
      client.destroy();
      return;
    }
    if (this.#blocked === "hold") {
      client.pause();
      this.#held.push(client);
      return;
    }
    this.#forward(client);
  }

  #forward(client: Socket): void {
    const upstream = createConnection(this.#target);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => {
      upstream.destroy();
      this.#open.delete(client);
      this.#open.delete(upstream);
    });
    upstream.on("close", () => {
      client.destroy();
      this.#open.delete(client);
      this.#open.delete(upstream);
    });
    this.#open.add(client);
    this.#open.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
