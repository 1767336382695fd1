import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { commitChange } from "../http/business-write.js";
import type { AppContext, AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, BUSINESS_WRITE_ERRORS, bearer, businessIdParam, emptyBody, errorResponses, json, jsonBody, optionalJsonBody, notModified } from "../http/openapi.js";
import { emptyBodyIsNone } from "../http/request-body.js";
import { requires } from "../http/pipeline.js";
import { assertIfMatch, resourceResponse } from "../http/resource.js";
import { decodeCursor, pageQuery, pageSchema, toPage } from "../platform/pagination.js";
import { isoNow } from "../platform/time.js";
import { BUILT_IN_AGENTS, BUILT_IN_KINDS } from "./agents.js";
import * as schema from "./schema.js";
import * as service from "./service.js";
import * as store from "./store.js";

const security = bearer;
const READ = requires("agents:read");
const RUN = requires("agents:run");
const APPROVE = requires("agents:approve");
const MAX_ID = "\uffff";

const agentsOf = (c: AppContext) => c.get("deps").agents;
/** Results, inputs, payloads and settings are free JSON (`unknown` in the schemas); Hono's typed responses want JSONValue. */
const sent = (response: Response): never => response as never;

const pascal = (id: string) => id.replace(/(^|-)([a-z])/g, (_, __, ch: string) => ch.toUpperCase());

export function registerAgentRoutes(app: OpenAPIHono<AppEnv>): void {
  const tags = ["Agents"];
  // every built-in agent's input and output, and every proposal kind's payload, as JSON Schema components
  for (const def of BUILT_IN_AGENTS) {
    app.openAPIRegistry.register(`${pascal(def.id)}Input`, def.input);
    app.openAPIRegistry.register(`${pascal(def.id)}Output`, def.output);
  }
  for (const kind of BUILT_IN_KINDS) app.openAPIRegistry.register(`${pascal(kind.kind.replace(".", "-"))}Proposal`, kind.payload);

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/agents",
      tags,
      security,
      summary: "The agents this business can run",
      description: "Each agent with its input and output JSON Schemas, the permissions it needs and its proposal policy.",
      middleware: [READ],
      request: { params: businessIdParam, query: pageQuery },
      responses: { 200: json(pageSchema(schema.agent), "The agents"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor } = c.req.valid("query");
      const after = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? "";
      const db = c.get("scope").db;
      const settings = new Map(store.allSettings(db).map((r) => [r.agent_id, r]));
      const defs = agentsOf(c)
        .registry.all()
        .filter((d) => d.id > after)
        .sort((a, b) => a.id.localeCompare(b.id))
        .slice(0, limit + 1);
      return c.json(
        toPage(defs, limit, (d) => [d.id], (d) => service.agentView(d, settings.get(d.id))),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/agents/{agentId}",
      tags,
      security,
      summary: "One agent",
      middleware: [READ],
      request: { params: schema.agentIdParam },
      responses: { 200: json(schema.agent, "The agent"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => sent(resourceResponse(c, service.currentAgent(agentsOf(c).registry, c.get("scope").db, c.req.valid("param").agentId))),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/businesses/{businessId}/agents/{agentId}",
      tags,
      security,
      summary: "Turn an agent on or off, set its schedule and settings",
      middleware: [APPROVE],
      request: { params: schema.agentIdParam, body: jsonBody(schema.updateAgentBody) },
      responses: { 200: json(schema.agent, "Updated"), ...errorResponses(...BUSINESS_WRITE_ERRORS, 412) },
    }),
    async (c) => {
      const { agentId } = c.req.valid("param");
      const agents = agentsOf(c);
      const scope = c.get("scope");
      assertIfMatch(c, service.currentAgent(agents.registry, scope.db, agentId));
      let watching = false;
      const response = await commitChange(c, 200, (rec) => {
        const view = service.updateAgent(agents.registry, scope, rec, agentId, c.req.valid("json"));
        watching = store.triggeredAgents(rec.db).length > 0;
        return view;
      });
      agents.watch(scope.businessId, watching);
      agents.notify(scope.businessId);
      return sent(response);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/agent-tasks",
      tags,
      security,
      summary: "Start an agent",
      description: "Queues a task; it runs in the background. Unknown agent or input that does not fit its schema → 400.",
      middleware: [RUN],
      request: { params: businessIdParam, body: jsonBody(schema.createTaskBody) },
      responses: { 202: json(schema.taskAccepted, "Queued"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    async (c) => {
      const agents = agentsOf(c);
      const scope = c.get("scope");
      const response = await commitChange(c, 202, (rec) => service.enqueue(agents.registry, agents.config, scope, rec, c.req.valid("json")));
      agents.notify(scope.businessId);
      return response;
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/agent-tasks",
      tags,
      security,
      summary: "Agent tasks, newest first",
      middleware: [READ],
      request: { params: businessIdParam, query: schema.taskListQuery },
      responses: { 200: json(pageSchema(schema.task), "A page of tasks"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, status, agent } = c.req.valid("query");
      const before = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? MAX_ID;
      const rows = store.listTasks(c.get("scope").db, { status, agent, before, limit: limit + 1 });
      const now = Date.now();
      return c.json(
        toPage(rows, limit, (r) => [r.id], (r) => service.taskView(r, now)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/agent-tasks/{taskId}",
      tags,
      security,
      summary: "One agent task: status, attempts, result or error, cost",
      middleware: [READ],
      request: { params: schema.taskIdParam },
      responses: { 200: json(schema.task, "The task"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => sent(resourceResponse(c, service.taskView(service.getTask(c.get("scope").db, c.req.valid("param").taskId)))),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/businesses/{businessId}/agent-tasks/{taskId}/cancel",
      tags,
      security,
      summary: "Cancel a task that has not finished",
      description: "A running task is stopped; pending proposals of the task are withdrawn. A finished task → 409.",
      middleware: [RUN, emptyBodyIsNone],
      request: { params: schema.taskIdParam, body: optionalJsonBody(emptyBody) },
      responses: { 200: json(schema.task, "Cancelled"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
    }),
    async (c) => {
      const agents = agentsOf(c);
      const { taskId } = c.req.valid("param");
      let wasRunning = false;
      const response = await commitChange(c, 200, (rec) => {
        const out = service.cancel(c.get("scope"), rec, taskId);
        wasRunning = out.wasRunning;
        return out.view;
      });
      if (wasRunning) agents.abortTask(taskId);
      return sent(response);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/approvals",
      tags,
      security,
      summary: "Proposals filed by agents, newest first",
      middleware: [READ],
      request: { params: businessIdParam, query: schema.approvalListQuery },
      responses: { 200: json(pageSchema(schema.approval), "A page of proposals"), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => {
      const { limit, cursor, status, taskId } = c.req.valid("query");
      const before = (decodeCursor(cursor, ["string"])?.[0] as string | undefined) ?? MAX_ID;
      const nowIso = isoNow();
      const rows = store.listProposals(c.get("scope").db, { status, taskId, before, limit: limit + 1, nowIso });
      return c.json(
        toPage(rows, limit, (r) => [r.id], (r) => service.approvalView(r, nowIso)),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/approvals/{approvalId}",
      tags,
      security,
      summary: "One proposal",
      middleware: [READ],
      request: { params: schema.approvalIdParam },
      responses: { 200: json(schema.approval, "The proposal"), ...notModified(), ...errorResponses(...BUSINESS_READ_ERRORS) },
    }),
    (c) => sent(resourceResponse(c, service.approvalView(service.getApproval(c.get("scope").db, c.req.valid("param").approvalId)))),
  );

  for (const decision of ["approve", "reject"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/businesses/{businessId}/approvals/{approvalId}/${decision}`,
        tags,
        security,
        summary: decision === "approve" ? "Approve a proposal: it is applied, exactly once" : "Reject a proposal: it is discarded",
        description: "A proposal that is no longer pending (decided, expired, withdrawn) → 409.",
        middleware: [APPROVE, emptyBodyIsNone],
        request: { params: schema.approvalIdParam, body: optionalJsonBody(emptyBody) },
        responses: { 200: json(schema.approval, decision === "approve" ? "Applied" : "Rejected"), ...errorResponses(...BUSINESS_WRITE_ERRORS) },
      }),
      async (c) => {
        const agents = agentsOf(c);
        const response = await commitChange(c, 200, (rec) => service.decide(agents.registry, c.get("scope"), rec, c.req.valid("param").approvalId, decision));
        // an approved message leaves through the outbox, after the commit
        if (decision === "approve") void agents.deliverOutbox(c.get("scope").businessId);
        return sent(response);
      },
    );
  }
}
