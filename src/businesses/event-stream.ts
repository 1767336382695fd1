import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, bearer, businessIdParam, errorResponses } from "../http/openapi.js";
import { type Readmission, requires } from "../http/pipeline.js";
import { type BusinessEvent, eventsAfter } from "../platform/event-log.js";
import { badRequest } from "../platform/problem.js";
import { Db, DbMeter, type SqlConnection } from "../platform/sql.js";
import { can, type Permission, type Role } from "./roles.js";

/** Live events held per subscriber before it falls back to reading the log: a slow client costs memory up to this, no more. */
const MAX_QUEUED = 1_000;
const CATCH_UP_BATCH = 500;

const EVENT_ID_MESSAGE = "must be an event id: a non-negative integer in decimal digits";

/** An event id as a client sends it back (`Last-Event-ID`, `?after=`): decimal digits of a safe integer, else undefined. */
export function parseEventId(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Events that not every role may read, by type prefix: the permission of the list route that shows the same
 * facts, so the stream never tells a role what its lists would refuse (403). Every other type is about
 * records all roles read (business, members, CRM, finance, agents: `business:read` and the READ set of
 * roles.ts), which the stream itself already requires.
 */
const EVENT_PERMISSIONS: readonly (readonly [string, Permission])[] = [
  ["api_key.", "api-keys:manage"], // GET /api-keys
  ["member.", "business:read"], // GET /members: every role
];

/** Whether `role` may be shown events of `type`: a few prefix comparisons, no statement. */
export function eventVisibleTo(role: Role, type: string): boolean {
  for (const [prefix, permission] of EVENT_PERMISSIONS) if (type.startsWith(prefix)) return can(role, permission);
  return true;
}

/** How often streams waiting for an event look whether the core database was written (access may be gone). */
const ACCESS_CHECK_MS = 250;

/** Calls `onWrite` after the core database was written, until the function it returns is called. */
export type CoreWriteWatch = (onWrite: () => void) => () => void;

/**
 * Wakes streams that are waiting for their next event when the core database was written, so each checks
 * its caller's access then (a logout, a revoked key, a removed member) rather than at its next heartbeat.
 * One timer for all streams, running only while some wait, comparing the core generation; a check is one
 * cached lookup when nothing of that caller's changed (0016). `watch(onWrite)` returns the unwatch.
 */
export function coreWriteWatch(core: SqlConnection): CoreWriteWatch {
  const waiting = new Set<() => void>();
  let seen = core.generation;
  let timer: ReturnType<typeof setInterval> | undefined;
  const look = () => {
    if (core.generation === seen) return;
    seen = core.generation;
    for (const onWrite of [...waiting]) onWrite();
  };
  return (onWrite) => {
    if (!timer) {
      seen = core.generation;
      timer = setInterval(look, ACCESS_CHECK_MS);
      timer.unref();
    }
    waiting.add(onWrite);
    return () => {
      waiting.delete(onWrite);
      if (waiting.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  };
}

const eventsQuery = z.strictObject({
  after: z
    .string()
    .refine((text) => parseEventId(text) !== undefined, EVENT_ID_MESSAGE)
    .transform((text) => parseEventId(text) as number)
    .optional()
    .openapi({ type: "integer", minimum: 0, description: "Resume after this event id (like Last-Event-ID)." }),
});

export function registerEventStream(app: OpenAPIHono<AppEnv>, readmit: Readmission, watch: CoreWriteWatch): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/events",
      tags: ["Events"],
      security: bearer,
      summary: "Server-Sent Events of every committed change",
      description:
        "Each event's `id` is its sequence number in the business's log. Reconnect with `Last-Event-ID` (or `?after=`) to resume " +
        "without gaps or repeats. A comment line is sent as a heartbeat while nothing happens. Events about API keys reach " +
        "only roles that may list them. The stream ends once the caller may no longer read the business (membership or key " +
        "gone, session ended, business deleted), before any further event; reconnecting then gets 401 or 404.",
      middleware: [requires("business:read")],
      request: { params: businessIdParam, query: eventsQuery },
      responses: {
        200: { description: "An event stream", content: { "text/event-stream": { schema: z.string() } } },
        ...errorResponses(...BUSINESS_READ_ERRORS),
      },
    }),
    (c) => {
      const deps = c.get("deps");
      const scope = c.get("scope");
      const principal = c.get("principal");
      const businessId = scope.businessId;
      // an empty Last-Event-ID is no id at all (what a browser holds before its first event)
      const lastEventId = c.req.header("Last-Event-ID") || undefined;
      const resumeAfter = lastEventId === undefined ? (c.req.valid("query").after ?? 0) : parseEventId(lastEventId);
      if (resumeAfter === undefined) throw badRequest("Last-Event-ID is not an event id.", [{ path: "header.Last-Event-ID", message: EVENT_ID_MESSAGE }]);
      let cursor = resumeAfter;

      // The caller's access, as of the core database's generation `admittedAt`. Memberships, keys, sessions and
      // businesses change only by core writes, which move the generation: while it stays, the admission
      // stands and each event costs one comparison; once it moved, the next event (or heartbeat) admits the
      // caller again, one cached lookup, and ends the stream if access is gone. -1: the request was admitted
      // before this handler ran, at a generation not known here, so the first event checks.
      let role = scope.role;
      let admittedAt = -1;
      const stillAdmitted = (): boolean => {
        const generation = deps.core.generation;
        if (generation === admittedAt) return true;
        const now = readmit(principal, businessId);
        if (now === undefined || !can(now, "business:read")) return false;
        role = now;
        admittedAt = generation;
        return true;
      };

      return streamSSE(c, async (stream) => {
        let queue: BusinessEvent[] = [];
        let overflowed = false;
        let wake: (() => void) | undefined;
        const nudge = () => {
          wake?.();
          wake = undefined;
        };
        // subscribe before catching up, so nothing committed in between is missed
        const unsubscribe = deps.bus.subscribe(businessId, (events) => {
          if (queue.length + events.length > MAX_QUEUED) {
            overflowed = true;
            queue = [];
          } else {
            queue.push(...events);
          }
          nudge();
        });
        let open = true;
        const close = () => {
          open = false;
          nudge();
        };
        stream.onAbort(close);
        deps.stopping.addEventListener("abort", close, { once: true });

        const send = async (event: BusinessEvent) => {
          if (event.seq <= cursor) return;
          // checked right before each event: access lost since the last one ends the stream with nothing more sent
          if (!stillAdmitted()) return close();
          // a hidden event is passed over, not sent: the cursor moves past it, so catching up never reads it twice
          if (eventVisibleTo(role, event.type)) {
            // what writeSSE writes (JSON has no line breaks, nor has a type), but handed to the stream in this same
            // turn: writeSSE awaits before writing, a gap in which a core write could take the access just checked
            await stream.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\nid: ${event.seq}\n\n`);
          }
          cursor = event.seq;
        };
        const catchUp = async () => {
          for (;;) {
            const handle = deps.businesses.acquire(businessId);
            let batch: BusinessEvent[];
            try {
              batch = eventsAfter(new Db(handle.connection, new DbMeter()), cursor, CATCH_UP_BATCH);
            } finally {
              handle.release();
            }
            for (const event of batch) {
              if (!open) return;
              await send(event);
            }
            if (batch.length < CATCH_UP_BATCH || !open) return;
          }
        };

        let nextHeartbeat = Date.now() + deps.config.sseHeartbeatMs;
        try {
          await stream.write(": connected\n\n");
          await catchUp();
          while (open) {
            if (overflowed) {
              overflowed = false;
              await catchUp();
            }
            const ready = queue;
            queue = [];
            for (const event of ready) {
              if (!open) break;
              await send(event);
            }
            if (!open) break;
            if (queue.length > 0 || overflowed) continue;
            // access lost while events were being sent (the watch below only sees writes made while waiting)
            if (!stillAdmitted()) {
              close();
              break;
            }
            const woken = await new Promise<"event" | "heartbeat" | "core written">((resolve) => {
              const done = (why: "event" | "heartbeat" | "core written") => {
                clearTimeout(timer);
                unwatch();
                wake = undefined;
                resolve(why);
              };
              // heartbeats keep their own schedule: core writes elsewhere must not postpone them
              const timer = setTimeout(() => done("heartbeat"), Math.max(0, nextHeartbeat - Date.now()));
              const unwatch = watch(() => done("core written"));
              wake = () => done("event");
            });
            if (!open) break;
            // a session ended, a key revoked or a membership removed without an event of this business: noticed here
            if (!stillAdmitted()) close();
            else if (woken === "heartbeat") await stream.write(": heartbeat\n\n");
            // a heartbeat follows a quiet spell: one after the last event or heartbeat
            if (woken !== "core written") nextHeartbeat = Date.now() + deps.config.sseHeartbeatMs;
          }
        } finally {
          unsubscribe();
          deps.stopping.removeEventListener("abort", close);
        }
      });
    },
  );
}
