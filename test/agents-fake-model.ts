/**
 * A fake language-model server on 127.0.0.1 speaking the Anthropic Messages API (`/v1/messages`) and
 * OpenAI Chat Completions (`/chat/completions`). Each request takes the next scripted step; with none
 * left it answers with plain text.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Step {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Sent as is instead of JSON. */
  raw?: string;
  delayMs?: number;
}

export interface SeenRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
}

export interface FakeModel {
  url: string;
  requests: SeenRequest[];
  script: Step[];
  /** Resolves once `n` requests have arrived (bounded by `ms`). */
  waitForRequests(n: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export const openaiText = (text: string, usage = { prompt_tokens: 100, completion_tokens: 20 }) => ({
  body: { id: "chatcmpl-1", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }], usage },
});

export const openaiTool = (name: string, args: unknown, id = `call_${Math.random().toString(36).slice(2, 8)}`) => ({
  body: {
    id: "chatcmpl-2",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name, arguments: JSON.stringify(args) } }] }, finish_reason: "tool_calls" }],
    usage: { prompt_tokens: 50, completion_tokens: 10 },
  },
});

export const anthropicText = (text: string, usage = { input_tokens: 100, output_tokens: 20 }) => ({
  body: { id: "msg_1", type: "message", role: "assistant", content: [{ type: "text", text }], stop_reason: "end_turn", usage },
});

export const anthropicTool = (name: string, input: unknown, id = `toolu_${Math.random().toString(36).slice(2, 8)}`) => ({
  body: { id: "msg_2", type: "message", role: "assistant", content: [{ type: "tool_use", id, name, input }], stop_reason: "tool_use", usage: { input_tokens: 50, output_tokens: 10 } },
});

export async function startFakeModel(): Promise<FakeModel> {
  const requests: SeenRequest[] = [];
  const script: Step[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", () => {
      let body: unknown = data;
      try {
        body = JSON.parse(data);
      } catch {
        // kept as text
      }
      requests.push({ path: req.url ?? "", headers: req.headers, body });
      for (const w of [...waiters]) {
        if (requests.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const anthropic = (req.url ?? "").endsWith("/v1/messages");
      const step: Step = script.shift() ?? (anthropic ? anthropicText("All fine.") : openaiText("All fine."));
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(step.status ?? 200, { "content-type": "application/json", ...step.headers });
        res.end(step.raw ?? JSON.stringify(step.body ?? {}));
      };
      if (step.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, step.delayMs);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script,
    waitForRequests(n, ms = 10_000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`only ${requests.length} of ${n} model requests arrived`)), ms);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
