import { createServer, type ServerResponse } from "node:http";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerResponse } from "./response-headers.js";

/** Each path answers in one of the ways an answer can start, after headers were added to it. */
const answers: Record<string, (res: AnswerResponse) => void> = {
  "/object": (res) => res.writeHead(200, { "Content-Type": "text/plain", "X-Frame-Options": "DENY" }).end("object"),
  "/reason": (res) => res.writeHead(201, "Made", { "content-type": "text/plain" }).end("reason"),
  "/implicit": (res) => {
    res.statusCode = 202;
    res.end("implicit");
  },
  "/raw": (res) => res.writeHead(200, ["Content-Type", "text/plain", "X-Frame-Options", "DENY"]).end("raw"),
  "/set-before": (res) => {
    res.setHeader("Connection", "close");
    res.setHeader("x-frame-options", "DENY");
    res.writeHead(200, { "Content-Type": "text/plain" }).end("set");
  },
};

let server: ReturnType<typeof createServer>;
let port = 0;

beforeAll(async () => {
  server = createServer({ ServerResponse: AnswerResponse }, (req, res: ServerResponse) => {
    const answer = res as AnswerResponse;
    answer.addHeaders({ "x-frame-options": "SAMEORIGIN", "x-content-type-options": "nosniff" });
    answer.addHeaders({ "x-request-id": "r-1" });
    answers[req.url ?? ""]!(answer);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** The raw header lines, so that a header sent twice shows up twice. */
function get(path: string): Promise<{ status: number; message: string; raw: string[]; body: string }> {
  return new Promise((done, fail) => {
    request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => done({ status: res.statusCode!, message: res.statusMessage!, raw: res.rawHeaders, body }));
    })
      .on("error", fail)
      .end();
  });
}

const named = (raw: string[], name: string) => raw.flatMap((value, i) => (i % 2 === 0 && value.toLowerCase() === name ? [raw[i + 1]] : []));

describe("headers added to a Node answer", () => {
  it("are sent with the answer however it starts, once each, the answer's own value winning", async () => {
    for (const path of Object.keys(answers)) {
      const res = await get(path);
      expect(res.body, path).toBe(path === "/set-before" ? "set" : path.slice(1));
      expect(named(res.raw, "x-request-id"), path).toEqual(["r-1"]);
      expect(named(res.raw, "x-content-type-options"), path).toEqual(["nosniff"]);
      const own = ["/object", "/raw", "/set-before"].includes(path);
      expect(named(res.raw, "x-frame-options"), path).toEqual([own ? "DENY" : "SAMEORIGIN"]);
    }
  });

  it("keep the status and reason the answer gave", async () => {
    expect(await get("/reason")).toMatchObject({ status: 201, message: "Made" });
    expect(await get("/implicit")).toMatchObject({ status: 202, message: "Accepted" });
    expect(named((await get("/set-before")).raw, "connection")).toEqual(["close"]);
  });
});
