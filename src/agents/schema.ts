import { z } from "@hono/zod-openapi";
import { businessIdParam } from "../http/openapi.js";
import { pageQuery } from "../platform/pagination.js";
import { PROPOSAL_STATUSES, TASK_STATUSES } from "./store.js";
import { isSchedule } from "./timing.js";

const id = (prefix: string) => z.string().max(64).openapi({ example: `${prefix}_01j9z3k4m5n6p7q8r9s0t1v2w3` });

export const agentIdParam = businessIdParam.extend({
  agentId: z.string().max(64).openapi({ param: { name: "agentId", in: "path" }, example: "lead-scoring" }),
});
export const taskIdParam = businessIdParam.extend({
  taskId: z.string().max(64).openapi({ param: { name: "taskId", in: "path" }, example: "atk_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
});
export const approvalIdParam = businessIdParam.extend({
  approvalId: z.string().max(64).openapi({ param: { name: "approvalId", in: "path" }, example: "apr_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
});

const schedule = z
  .string()
  .max(40)
  .refine(isSchedule, "hourly, daily, weekly or `every <n> seconds|minutes|hours|days` (10 s to 366 days)")
  .openapi({ description: "`hourly`, `daily` (00:00 UTC), `weekly` (Monday 00:00 UTC) or `every <n> seconds|minutes|hours|days` (10 s to 366 days).", example: "daily" });

export const agent = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    enabled: z.boolean(),
    schedule: schedule.nullable(),
    nextRunAt: z.string().nullable(),
    triggers: z.array(z.string()).openapi({ description: "Business events that start it in this business (none unless turned on)." }),
    triggerEvents: z.array(z.string()).openapi({ description: "The events it can be started by." }),
    settings: z.record(z.string(), z.unknown()),
    requiredPermissions: z.array(z.string()).openapi({ description: "What a caller needs to start it (besides agents:run)." }),
    policy: z.object({
      files: z.array(z.string()).openapi({ description: "The proposal kinds it may file." }),
      autoApply: z.array(z.string()).openapi({ description: "Kinds its policy lets apply without a person when settings.autoApply is on (never money)." }),
    }),
    inputSchema: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of its input." }),
    outputSchema: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of its result." }),
  })
  .openapi("Agent");

export const updateAgentBody = z
  .strictObject({
    enabled: z.boolean().optional(),
    schedule: schedule.nullable().optional(),
    triggers: z.array(z.string().max(64)).max(20).optional().openapi({ description: "Events (from triggerEvents) that start it; [] for none.", example: ["lead.created"] }),
    settings: z.record(z.string(), z.unknown()).optional().openapi({ description: "Validated by the agent's settings schema; replaces the settings." }),
  })
  .openapi("UpdateAgent");

export const createTaskBody = z
  .strictObject({
    agent: z.string().min(1).max(64).openapi({ example: "audit-check" }),
    input: z.record(z.string(), z.unknown()).optional().openapi({ description: "Validated by the agent's input schema." }),
    priority: z.number().int().min(-100).max(100).optional().openapi({ description: "Higher runs first; default 0." }),
  })
  .openapi("CreateAgentTask");

export const taskAccepted = z.object({ id: z.string(), status: z.enum(TASK_STATUSES) }).openapi("AgentTaskAccepted");

export const cost = z
  .object({
    currency: z.literal("USD"),
    amountMicros: z.number().int().openapi({ description: "Model spend in millionths of a dollar." }),
    modelCalls: z.number().int(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
  })
  .openapi("AgentCost");

export const task = z
  .object({
    id: id("atk"),
    agent: z.string(),
    status: z.enum(TASK_STATUSES),
    priority: z.number().int(),
    input: z.unknown(),
    result: z.unknown().nullable(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    nextAttemptAt: z.string().nullable().openapi({ description: "When a queued task waits for a retry, when it runs next." }),
    trigger: z.enum(["api", "schedule", "event"]),
    requestedBy: z.string(),
    cost,
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("AgentTask");

export const taskListQuery = pageQuery.extend({
  status: z.enum(TASK_STATUSES).optional(),
  agent: z.string().max(64).optional(),
});

export const approval = z
  .object({
    id: id("apr"),
    taskId: z.string(),
    agent: z.string(),
    kind: z.string(),
    targetType: z.string(),
    targetId: z.string(),
    summary: z.string(),
    payload: z.unknown(),
    status: z.enum(PROPOSAL_STATUSES),
    autoApplied: z.boolean(),
    createdAt: z.string(),
    expiresAt: z.string(),
    decidedAt: z.string().nullable(),
    decidedBy: z.string().nullable(),
  })
  .openapi("Approval");

export const approvalListQuery = pageQuery.extend({
  status: z.enum(PROPOSAL_STATUSES).optional(),
  taskId: z.string().max(64).optional(),
});
