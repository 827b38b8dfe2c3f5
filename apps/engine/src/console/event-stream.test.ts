import { createServer, request, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { EventStreams, sseFrame } from "./event-stream.js";

describe("sseFrame", () => {
  it("writes id, event and one data line of JSON, ended by a blank line", () => {
    expect(sseFrame("execution", { a: 1 }, 7)).toBe('id: 7\nevent: execution\ndata: {"a":1}\n\n');
    expect(sseFrame("control", { state: "HALTED" })).toBe(
      'event: control\ndata: {"state":"HALTED"}\n\n',
    );
  });

  it("keeps a message with newlines on one data line", () => {
    const frame = sseFrame("dead_letter", { error: "line one\nline two\r\n" });
    expect(frame.split("\n").filter((line) => line.startsWith("data: "))).toHaveLength(1);
    expect(JSON.parse(frame.split("\n")[1]?.slice("data: ".length) ?? "")).toEqual({
      error: "line one\nline two\r\n",
    });
  });
});

describe("EventStreams on a real HTTP connection", () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );

  async function serve(streams: EventStreams, closed: () => void): Promise<number> {
    server = createServer((_request, response) => streams.open(response, closed));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (typeof address !== "object" || !address) throw new Error("no port");
    return address.port;
  }

  function connect(port: number) {
    let text = "";
    let ended = false;
    const req = request({ port, host: "127.0.0.1", path: "/" });
    const headers = new Promise<Record<string, unknown>>((resolve) => {
      req.on("response", (response) => {
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => {
          ended = true;
        });
        resolve(response.headers);
      });
    });
    req.end();
    return { req, headers, text: () => text, ended: () => ended };
  }

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 3_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("streams as text/event-stream, broadcasts frames, forgets a client that left and ends the rest at closeAll", async () => {
    const streams = new EventStreams(60_000);
    let closes = 0;
    const port = await serve(streams, () => {
      closes += 1;
    });
    const first = connect(port);
    const second = connect(port);
    expect((await first.headers)["content-type"]).toBe("text/event-stream; charset=utf-8");
    await second.headers;
    await until(() => streams.size === 2);
    streams.broadcast(sseFrame("execution", { n: 1 }));
    await until(() => first.text().includes('"n":1') && second.text().includes('"n":1'));
    expect(first.text()).toBe('retry: 2000\n\nevent: execution\ndata: {"n":1}\n\n');

    first.req.destroy();
    await until(() => streams.size === 1 && closes === 1);
    streams.broadcast(sseFrame("execution", { n: 2 }));
    await until(() => second.text().includes('"n":2'));

    streams.closeAll();
    await until(() => second.ended());
    expect(streams.size).toBe(0);
  });

  it("sends keep-alive comments while idle", async () => {
    const streams = new EventStreams(20);
    const port = await serve(streams, () => {});
    const client = connect(port);
    await until(() => client.text().includes(": keep-alive\n\n"));
    streams.closeAll();
  });
});
