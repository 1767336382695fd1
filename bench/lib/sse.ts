import { request } from "node:http";

export interface SseEvent {
  id: string | null;
  event: string | null;
  data: string;
  /** performance.now() when the block was parsed. */
  receivedAt: number;
  /** Date.now() at the same moment (for comparing with server timestamps on the same host). */
  receivedWall: number;
}

/**
 * A minimal Server-Sent Events client on its own connection (node:http, no agent): parses blocks as
 * they arrive and hands each event to `onEvent`. `ready` resolves on the server's first comment line.
 */
export class SseSubscriber {
  readonly ready: Promise<void>;
  failure: string | null = null;
  events = 0;
  private closed = false;
  private readonly req: ReturnType<typeof request>;

  constructor(origin: string, path: string, token: string, onEvent: (event: SseEvent) => void) {
    const url = new URL(path, origin);
    let markReady: () => void;
    let markFailed: (e: Error) => void;
    this.ready = new Promise<void>((resolveReady, reject) => {
      markReady = resolveReady;
      markFailed = reject;
    });
    this.ready.catch(() => undefined);
    this.req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: "GET",
        agent: false,
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      },
      (res) => {
        if (res.statusCode !== 200) {
          this.failure = `status ${res.statusCode}`;
          markFailed(new Error(`event stream answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding("utf8");
        let buffer = "";
        let gotFirst = false;
        res.on("data", (chunk: string) => {
          const receivedAt = performance.now();
          const receivedWall = Date.now();
          buffer += chunk;
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!gotFirst) {
              gotFirst = true;
              markReady();
            }
            let id: string | null = null;
            let event: string | null = null;
            const data: string[] = [];
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) continue;
              const colon = line.indexOf(":");
              const field = colon === -1 ? line : line.slice(0, colon);
              const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
              if (field === "id") id = value;
              else if (field === "event") event = value;
              else if (field === "data") data.push(value);
            }
            if (data.length > 0) {
              this.events += 1;
              onEvent({ id, event, data: data.join("\n"), receivedAt, receivedWall });
            }
            end = buffer.indexOf("\n\n");
          }
        });
        res.on("close", () => {
          if (!this.closed) this.failure ??= "the stream closed early";
        });
      },
    );
    this.req.on("error", (error) => {
      if (this.closed) return;
      this.failure ??= error.message;
      markFailed(error);
    });
    this.req.end();
  }

  close(): void {
    this.closed = true;
    this.req.destroy();
  }
}
