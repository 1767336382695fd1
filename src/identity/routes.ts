import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import * as businesses from "../businesses/store.js";
import type { AppEnv } from "../http/context.js";
import { bearer, errorResponses, json, jsonBody } from "../http/openapi.js";
import { usersOnly } from "../http/pipeline.js";
import { notFound } from "../platform/problem.js";
import { warmUpPortfolio } from "../portfolio/warmup.js";
import * as schema from "./schema.js";
import type { Identity } from "./service.js";
import * as store from "./store.js";

const tags = ["Identity"];

export function registerIdentityRoutes(app: OpenAPIHono<AppEnv>, identity: Identity): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/register",
      tags,
      summary: "Create an account and sign in",
      request: { body: jsonBody(schema.registerBody) },
      responses: { 201: json(schema.session, "Signed in"), ...errorResponses(400, 409, 413, 415) },
    }),
    async (c) => c.json(await identity.register(c.get("coreDb"), c.req.valid("json")), 201),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/login",
      tags,
      summary: "Sign in with email and password",
      request: { body: jsonBody(schema.loginBody) },
      responses: { 200: json(schema.session, "Signed in"), ...errorResponses(400, 401, 413, 415, 429) },
    }),
    async (c) => {
      const session = await identity.login(c.get("coreDb"), c.req.valid("json"), c.get("deps").clientAddress(c));
      warmUpPortfolio(c.get("deps"), session.user.id);
      return c.json(session, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/refresh",
      tags,
      summary: "Exchange a refresh token for a new pair",
      description: "A refresh token works once. Presenting a used one gets 401 and revokes every token of that login.",
      request: { body: jsonBody(schema.refreshBody) },
      responses: { 200: json(schema.session, "A new token pair"), ...errorResponses(400, 401, 413, 415) },
    }),
    async (c) => {
      const session = await identity.refresh(c.get("coreDb"), c.req.valid("json").refreshToken);
      warmUpPortfolio(c.get("deps"), session.user.id);
      return c.json(session, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      tags,
      summary: "End the session of a refresh token",
      request: { body: jsonBody(schema.refreshBody) },
      responses: { 204: { description: "Signed out (also when the token was already unknown)" }, ...errorResponses(400, 413, 415) },
    }),
    (c) => {
      identity.logout(c.get("coreDb"), c.req.valid("json").refreshToken);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags,
      summary: "The signed-in user and their memberships",
      security: bearer,
      middleware: [usersOnly],
      responses: { 200: json(schema.me, "You"), ...errorResponses(401, 403, 429) },
    }),
    (c) => {
      const principal = c.get("principal");
      if (principal.kind !== "user") throw notFound();
      const db = c.get("coreDb");
      const user = store.findUserById(db, principal.userId);
      if (!user) throw notFound();
      const memberships = businesses
        .listMemberBusinesses(db, user.id, "", 10_000)
        .map((b) => ({ businessId: b.id, name: b.name, role: b.role }));
      return c.json({ user: identity.publicUser(user), memberships }, 200);
    },
  );
}
