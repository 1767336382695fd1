import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { registerAgentRoutes } from "../agents/routes.js";
import { registerAuditRoutes } from "../businesses/audit-routes.js";
import { coreWriteWatch, registerEventStream } from "../businesses/event-stream.js";
import { registerBusinessRoutes } from "../businesses/routes.js";
import { registerCrmRoutes } from "../crm/routes.js";
import { registerFinanceRoutes } from "../finance/routes.js";
import { registerIdentityRoutes } from "../identity/routes.js";
import { registerPortfolioRoutes } from "../portfolio/routes.js";
import { createIdentity } from "../identity/service.js";
import { Gauge } from "../platform/metrics.js";
import { ProblemError, unauthorized } from "../platform/problem.js";
import { timingSafeEqual } from "../platform/crypto.js";
import type { Next } from "hono";
import type { AppContext, AppDeps, AppEnv } from "./context.js";
import { DOCS_HTML, DOCS_SCRIPT } from "./docs-page.js";
import { problemResponse, toProblemResponse, validationHook } from "./errors.js";
import { fractionalNumberPath } from "./json-numbers.js";
import { DOCUMENT_HEADERS } from "./response-headers.js";
import { describeHeaders, type OpenAPIDocument } from "./openapi-headers.js";
import { admitCaller, businessScope, readmission, requestContext } from "./pipeline.js";
import { assertIdentityCoding, readUtf8Body } from "./request-body.js";
import { SegmentRouter } from "./router.js";
import { checkWithPlainResults, skipCheckOfAdmittedBusiness } from "./validation.js";

export const API_VERSION = "0.1.0";
const MAX_BODY_BYTES = 1024 * 1024;
/** Routes whose bodies carry an agent's own free-form JSON (settings, input), numbers of any kind included. */
const AGENT_ROUTES = /^\/api\/v1\/businesses\/[^/]+\/(agents|agent-tasks|approvals)(\/|$)/;
/** Routes under /api/v1 that work without credentials. */
const PUBLIC_API = new Set(["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/openapi.json"]);

/**
 * The whole HTTP application, independent of the runtime: the Node server and a Workers entry both
 * hand it their storage and secrets.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const identity = createIdentity(deps);
  deps.metrics.add(new Gauge("coreflow_business_handles_open", "Business databases currently open.", () => deps.businesses.openCount()));
  deps.metrics.add(new Gauge("coreflow_sse_subscribers", "Live event-stream subscribers.", () => deps.bus.subscriberCount()));

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new SegmentRouter() });
  app.use("*", requestContext(deps));
  if (deps.config.corsOrigins.length > 0) {
    app.use(
      "/api/*",
      cors({
        origin: deps.config.corsOrigins,
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Request-Id", "Last-Event-ID"],
        exposeHeaders: ["ETag", "X-Request-Id", "Server-Timing", "Retry-After", "Idempotent-Replayed"],
        maxAge: 600,
      }),
    );
  }
  // the unread rest of the body makes the connection unusable, so tell the client not to reuse it
  const tooLarge = () => {
    const response = problemResponse(new ProblemError(413, "body-too-large", "Request bodies are limited to 1 MiB."));
    response.headers.set("Connection", "close");
    return response;
  };
  const limitBody = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  const admit = admitCaller(deps, identity);
  // Every request under /api/v1: who is calling, then the JSON body read as strict UTF-8. Integer minor
  // units and decimal strings: a number written with a fraction or exponent is refused before JSON.parse
  // can round it away (1.0000000000000001 → 1); agents take free-form JSON of their own.
  const admitAndRead = async (c: AppContext, path: string, next: Next) => {
    if (!PUBLIC_API.has(path)) await admit(c);
    const method = c.req.method;
    if ((method !== "POST" && method !== "PATCH" && method !== "PUT") || !c.req.header("Content-Type")?.includes("json")) return next();
    const text = await readUtf8Body(c);
    if (AGENT_ROUTES.test(path)) return next();
    const fraction = fractionalNumberPath(text);
    if (fraction !== undefined) {
      throw new ProblemError(400, "invalid-request", "Numbers are whole: amounts in integer minor units, decimals as strings.", [
        { path: fraction, message: "a number with a fraction or exponent" },
      ]);
    }
    return next();
  };
  // One step rather than three middleware (each level costs every request a dispatch, a closure and a
  // promise). First the body's size: reading `body` in hono's bodyLimit makes the Node adapter build a
  // full WHATWG Request, so a declared Content-Length is checked without it (the HTTP parser never
  // delivers more than it declares).
  app.use("/api/*", async (c, next) => {
    const path = c.req.path;
    const proceed = path === "/api/v1" || path.startsWith("/api/v1/") ? () => admitAndRead(c, path, next) : next;
    const declared = c.req.header("Content-Length");
    // a GET's body is never read, but one declared over the limit is refused like any other
    if (c.req.method === "GET" || c.req.method === "HEAD") return declared !== undefined && Number(declared) > MAX_BODY_BYTES ? tooLarge() : proceed();
    const chunked = c.req.header("Transfer-Encoding") !== undefined;
    // only a body can be coded: a body-less request's Content-Encoding describes nothing and is ignored
    if (chunked || Number(declared) > 0) assertIdentityCoding(c.req.header("Content-Encoding"));
    if (declared === undefined || chunked) return limitBody(c, proceed);
    return Number(declared) > MAX_BODY_BYTES ? tooLarge() : proceed();
  });
  const scope = businessScope(deps);
  for (const path of ["/api/v1/businesses/:businessId", "/api/v1/businesses/:businessId/*"]) {
    app.use(path, scope);
  }

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  skipCheckOfAdmittedBusiness(api);
  registerIdentityRoutes(api, identity);
  registerBusinessRoutes(api);
  registerAuditRoutes(api);
  registerEventStream(api, readmission(deps), coreWriteWatch(deps.core));
  registerAgentRoutes(api);
  registerCrmRoutes(api);
  registerFinanceRoutes(api);
  registerPortfolioRoutes(api, deps.metrics);
  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /auth/login or /auth/register, or a business API key (`cf_…`).",
  });
  // generated on first request, once every route is registered, then kept: the routes never change after
  let document: OpenAPIDocument | undefined;
  api.get("/openapi.json", (c) => {
    document ??= describeHeaders(
      api.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "CoreFlow360 API",
          version: API_VERSION,
          description:
            "One place to run every business you own. Errors are application/problem+json; money is integer minor units beside an ISO 4217 currency; lists are cursor-paginated.",
        },
        servers: [{ url: "/api/v1" }],
      }),
    );
    return c.json(document);
  });
  checkWithPlainResults(api);
  app.route("/api/v1", api);

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/metrics", (c) => {
    const token = deps.config.metricsToken;
    if (token && !timingSafeEqual(c.req.header("Authorization") ?? "", `Bearer ${token}`)) throw unauthorized();
    return c.text(deps.metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });
  // the one page a browser renders: its own content policy and the document headers (an answer's own headers win)
  app.get("/api/docs", (c) => c.html(DOCS_HTML, 200, DOCUMENT_HEADERS));
  app.get("/api/docs/docs.js", (c) => c.body(DOCS_SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" }));

  app.notFound(() => problemResponse(new ProblemError(404, "not-found", "No such route.")));
  app.onError(toProblemResponse);
  return app;
}
