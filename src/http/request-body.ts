import type { Context, MiddlewareHandler } from "hono";
import { ProblemError } from "../platform/problem.js";
import type { AppEnv } from "./context.js";

/**
 * Refuses (415) a body whose Content-Encoding names any coding but identity: the API decodes none, and
 * coded bytes parsed as if plain would be read wrongly rather than refused.
 */
export function assertIdentityCoding(header: string | undefined): void {
  if (header === undefined) return;
  const coded = header.split(",").some((coding) => {
    const name = coding.trim().toLowerCase();
    return name !== "" && name !== "identity";
  });
  if (coded) {
    throw new ProblemError(415, "unsupported-media-type", "Request bodies are accepted only without a content coding (Content-Encoding: identity).", undefined, {
      "Accept-Encoding": "identity",
    });
  }
}

// fatal: the Node adapter's own decoder replaces bad bytes with U+FFFD, silently storing what nobody sent.
// A fatal decode costs what a lenient one does (~140 ns for a payment's 180 bytes); reading bytes rather
// than text adds the adapter's copy of them (~0.6 µs), within the noise of bench-payments (~320 µs a payment)
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads the body as strict UTF-8 and has every later read (the validators' `c.req.json()`, the
 * idempotency hash) take that text. Must be the body's first read: after a lenient `c.req.text()` the
 * bytes are gone.
 */
export async function readUtf8Body(c: Context<AppEnv>): Promise<string> {
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ProblemError(400, "invalid-request", "The request body is not valid UTF-8.", [{ path: "body", message: "not valid UTF-8" }]);
  }
  cacheText(c, text);
  return text;
}

/**
 * Middleware for a route whose body may be left out: an empty body is no body, whatever its
 * Content-Type says (many clients always send application/json), so the route sees `{}` as it does
 * without one. Routes whose body is required keep refusing an empty one as not JSON. The text is the
 * one the body middleware in app.ts already read, so this reads nothing again.
 */
export const emptyBodyIsNone: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("Content-Type")?.includes("json") && (await c.req.text()) === "") cacheText(c, "{}");
  return next();
};

/** hono keeps each kind of body read as a promise in `bodyCache` (its declared type names the resolved value). */
function cacheText(c: Context<AppEnv>, text: string): void {
  (c.req.bodyCache as unknown as { text?: Promise<string> }).text = Promise.resolve(text);
}
