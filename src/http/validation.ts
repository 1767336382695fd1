import type { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./context.js";
import { businessIdParam } from "./openapi.js";

/** What a route's validator hands its hook when a value is refused: the issues, each with its path and message. */
export interface Refusal {
  issues: readonly z.core.$ZodIssue[];
}

type Checked = { success: true; data: unknown } | { success: false; error: Refusal };

interface StandardSchema {
  "~standard": {
    validate(value: unknown): StandardResult | Promise<StandardResult>;
  };
}
type StandardResult = { value: unknown; issues?: undefined } | { issues: readonly z.core.$ZodIssue[] };

const isSchema = (value: unknown): value is StandardSchema =>
  typeof value === "object" && value !== null && "~standard" in value && "safeParseAsync" in value;

/**
 * Has every route of `app` check its request through each schema's Standard Schema interface, which
 * answers with plain objects. The route validators call `safeParseAsync`, whose refusal is an object
 * with an `error` getter: V8 allocates a getter's accessor pair in the old generation, so every
 * refused request's closures, issues and parsed body outlived the next scavenges — ~1.4 KB promoted to
 * the old generation per request refused with three issues (a payment's whole write promotes none),
 * and old-generation collections after them. Called once every route is registered; the validators
 * read the method off the same schema objects when a request comes. The OpenAPI document is generated
 * from the schemas as they are.
 */
export function checkWithPlainResults(app: OpenAPIHono<AppEnv>): void {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const request = definition.route.request;
    if (!request) continue;
    const bodies = Object.values(request.body?.content ?? {}).map((media) => (media && "schema" in media ? media.schema : undefined));
    for (const schema of [request.query, request.params, request.headers, request.cookies, ...bodies]) {
      if (isSchema(schema)) Object.defineProperty(schema, "safeParseAsync", { value: plainSafeParse(schema), configurable: true });
    }
  }
}

// the validators await what it returns: a schema that checks synchronously (every one here) answers
// without a promise of its own, one microtask and two promises fewer per request
function plainSafeParse(schema: StandardSchema): (value: unknown) => Checked | Promise<Checked> {
  const standard = schema["~standard"];
  return (value) => {
    const result = standard.validate(value);
    return result instanceof Promise ? result.then(checked) : checked(result);
  };
}

const checked = (result: StandardResult): Checked =>
  result.issues ? { success: false, error: { issues: result.issues } } : { success: true, data: result.value };

/**
 * Has the routes of `app` registered from now on whose only path parameter is the business's skip its
 * check at run time, documented as declared. businessScope admitted exactly that id before any such
 * route runs (not a member, or no such business: 404), so the check can never refuse it — while its
 * validator costs every such request a middleware level (the parameters decoded into an object, three
 * awaits, the schema run): 64 → 57 µs an authenticated read without it (decision 0015). Routes with more
 * parameters keep their check.
 */
export function skipCheckOfAdmittedBusiness(app: OpenAPIHono<AppEnv>): void {
  const register = app.openapi;
  type Route = Parameters<typeof register>;
  app.openapi = ((route: Route[0], handler: Route[1], hook?: Route[2]) => {
    const { middleware, hide, ...documented } = route;
    if (hide || documented.request?.params !== businessIdParam) return register(route, handler, hook);
    app.openAPIRegistry.registerPath(documented);
    const { params: _checkedByScope, ...request } = documented.request;
    return register({ ...documented, middleware, request, hide: true }, handler, hook);
  }) as typeof register;
}
