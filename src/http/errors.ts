import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { type FieldError, ProblemError } from "../platform/problem.js";
import type { AppEnv } from "./context.js";
import type { Refusal } from "./validation.js";

export function problemResponse(error: ProblemError): Response {
  return new Response(JSON.stringify(error.toProblem()), {
    status: error.status,
    headers: { "Content-Type": "application/problem+json", ...error.headers },
  });
}

export function fieldErrors(error: Refusal, target: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const prefix = target === "json" ? "" : `${target}.`;
    if (issue.code === "unrecognized_keys") {
      return { path: `${prefix}${path ? `${path}.` : ""}${issue.keys.join(",")}`, message: "unknown field" };
    }
    return { path: `${prefix}${path}` || target, message: issue.message };
  });
}

/** The validation hook for every route: a clear 400 with the path of each bad field. */
export function validationHook(
  result: { success: true } | { success: false; error: Refusal; target?: string },
  _c: Context<AppEnv>,
): void {
  if (!result.success) {
    const target = result.target ?? "json";
    const what = target === "json" ? "request body" : target === "param" ? "path" : target;
    throw new ProblemError(400, "invalid-request", `The ${what} is not valid.`, fieldErrors(result.error, target));
  }
}

const HTTP_SLUGS: Record<number, string> = {
  400: "invalid-request",
  401: "unauthorized",
  404: "not-found",
  405: "method-not-allowed",
  413: "body-too-large",
  415: "unsupported-media-type",
};

/** Any thrown error becomes problem+json; only our own faults are 5xx, and those are logged. */
export function toProblemResponse(error: unknown, c: Context<AppEnv>): Response {
  if (error instanceof ProblemError) return problemResponse(error);
  if (error instanceof HTTPException) {
    const status = error.status;
    const malformed = status === 400 && /json/i.test(error.message);
    const detail = malformed ? "The request body is not valid JSON." : error.message || "Request refused.";
    const errors = malformed ? [{ path: "body", message: "not valid JSON" }] : undefined;
    return problemResponse(new ProblemError(status, HTTP_SLUGS[status] ?? "http-error", detail, errors));
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE") {
    // the client went away before its body had arrived: its fault, not ours, and nobody reads the answer
    c.get("deps")?.logger.debug({ requestId: c.get("requestId") }, "request body cut off by the client");
    return problemResponse(new ProblemError(400, "invalid-request", "The request ended before its body was complete."));
  }
  if (code === "SQLITE_FULL") {
    // the disk or the business's storage quota is full: the write's transaction was rolled back
    c.get("deps")?.logger.warn({ requestId: c.get("requestId") }, "storage full");
    return problemResponse(new ProblemError(507, "storage-full", "The business's storage is full: nothing was changed. Free space or raise the quota, then retry."));
  }
  c.get("deps")?.logger.error({ err: error, requestId: c.get("requestId") }, "unhandled error");
  return problemResponse(new ProblemError(500, "internal", "Something went wrong on our side; it has been logged."));
}
