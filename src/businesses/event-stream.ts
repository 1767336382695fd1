import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../http/context.js";
import { BUSINESS_READ_ERRORS, bearer, businessIdParam, errorResponses } from "../http/openapi.js";
import { requires } from "../http/pipeline.js";
import { type BusinessEvent, eventsAfter } from "../platform/event-log.js";
import { badRequest } from "../platform/problem.js";
import { Db, DbMeter } from "../platform/sql.js";

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

const eventsQuery = z.strictObject({
  after: z
    .string()
    .refine((text) => parseEventId(text) !== undefined, EVENT_ID_MESSAGE)
    .transform((text) => parseEventId(text) as number)
    .optional()
    .openapi({ type: "integer", minimum: 0, description: "Resume after this event id (like Last-Event-ID)." }),
});

export function registerEventStream(app: OpenAPIHono<AppEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/businesses/{businessId}/events",
      tags: ["Events"],
      security: bearer,
      summary: "Server-Sent Events of every committed change",
      description:
        "Each event's `id` is its sequence number in the business's log. Reconnect with `Last-Event-ID` (or `?after=`) to resume " +
        "without gaps or repeats. A comment line is sent as a heartbeat while nothing happens.",
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
      const businessId = scope.businessId;
      // an empty Last-Event-ID is no id at all (what a browser holds before its first event)
      const lastEventId = c.req.header("Last-Event-ID") || undefined;
      const resumeAfter = lastEventId === undefined ? (c.req.valid("query").after ?? 0) : parseEventId(lastEventId);
      if (resumeAfter === undefined) throw badRequest("Last-Event-ID is not an event id.", [{ path: "header.Last-Event-ID", message: EVENT_ID_MESSAGE }]);
      let cursor = resumeAfter;

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
          await stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
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
            for (const event of batch) await send(event);
            if (batch.length < CATCH_UP_BATCH || !open) return;
          }
        };

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
            if (queue.length > 0 || overflowed) continue;
            const heartbeat = await new Promise<boolean>((resolve) => {
              const timer = setTimeout(() => resolve(true), deps.config.sseHeartbeatMs);
              wake = () => {
                clearTimeout(timer);
                resolve(false);
              };
            });
            if (heartbeat && open) await stream.write(": heartbeat\n\n");
          }
        } finally {
          unsubscribe();
          deps.stopping.removeEventListener("abort", close);
        }
      });
    },
  );
}
