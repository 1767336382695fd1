import type { ServerResponse } from "node:http";
import { onResponseHeaders, type ResponseHeaderWriter } from "../../http/response-headers.js";

/**
 * Sets the headers on Node's ServerResponse, which @hono/node-server then writes with the answer's own
 * (its writeHead merges them over these, so the answer's value wins). No WHATWG Headers is built.
 */
export const onServerResponse: ResponseHeaderWriter = (c, headers) => {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing || outgoing.headersSent) return onResponseHeaders(c, headers);
  for (const name in headers) outgoing.setHeader(name, headers[name]!);
};
