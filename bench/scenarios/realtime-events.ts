import { newHistogram, recordMs, summarize } from "../lib/histogram.js";
import { Recorder } from "../lib/recorder.js";
import { type AuditState, auditChecks, auditSnapshot, WriteLedger } from "../lib/integrity.js";
import type { Scenario } from "../lib/scenario.js";
import { type SseEvent, SseSubscriber } from "../lib/sse.js";
import type { Check } from "../lib/types.js";

const DELIVERY_WAIT_MS = 5_000;

/**
 * K subscribers on one business's event stream while its name is changed at a steady rate
 * (open-loop PATCHes). Delivery latency runs from the moment the writer has the write's response
 * (the commit is acknowledged) to the moment each subscriber has parsed the event.
 */
const realtimeEvents: Scenario<Map<string, AuditState>> = {
  name: "realtime-events",
  title: "Real-time events (SSE)",
  description:
    "K Server-Sent Events subscribers on one business while PATCH /businesses/{id} renames it at a fixed rate; latency from each write's response to its receipt at every subscriber.",
  writes: true,
  prepare: (ctx) => auditSnapshot(ctx.http, ctx.dataset.founder.accessToken, [ctx.dataset.businesses[0]!.id]),
  async run(ctx, before) {
    const business = ctx.dataset.businesses[0]!;
    const token = ctx.dataset.founder.accessToken;
    const subscribersWanted = ctx.settings.subscribers ?? ctx.pick(100, 20);
    const writeRate = ctx.pick(100, 50);
    const prefix = `Realtime ${Date.now().toString(36)}`;

    const ackAt = new Map<string, number>();
    const early = new Map<string, number[]>();
    const fromAck = newHistogram();
    // per-second delivery percentiles (for baseline spreads), started at the first acknowledged write
    const deliveryWindows = new Recorder();
    let windowsStarted = false;
    const delivered = (latencyMs: number, at: number) => {
      recordMs(fromAck, latencyMs);
      if (windowsStarted) deliveryWindows.response(200, latencyMs, at);
    };
    const fromServerClock = newHistogram();
    let deliveredBeforeAck = 0;
    let deliveries = 0;
    const perSubscriber: Array<{ names: Set<string>; seqs: number[]; duplicates: number }> = [];

    const onEvent = (index: number) => (event: SseEvent) => {
      if (event.event !== "business.updated") return;
      let parsed: { seq: number; at: string; data?: { changes?: { name?: { to?: string } } } };
      try {
        parsed = JSON.parse(event.data);
      } catch {
        return;
      }
      const name = parsed.data?.changes?.name?.to;
      if (!name?.startsWith(prefix)) return;
      const mine = perSubscriber[index]!;
      if (mine.names.has(name)) mine.duplicates += 1;
      mine.names.add(name);
      mine.seqs.push(parsed.seq);
      deliveries += 1;
      recordMs(fromServerClock, Math.max(0, event.receivedWall - Date.parse(parsed.at)));
      const ack = ackAt.get(name);
      if (ack !== undefined) delivered(event.receivedAt - ack, event.receivedAt);
      else early.set(name, [...(early.get(name) ?? []), event.receivedAt]);
    };

    const subscribers: SseSubscriber[] = [];
    try {
      for (let i = 0; i < subscribersWanted; i++) {
        perSubscriber.push({ names: new Set(), seqs: [], duplicates: 0 });
        subscribers.push(new SseSubscriber(ctx.origin, `/api/v1/businesses/${business.id}/events`, token, onEvent(i)));
      }
      const connected = await Promise.allSettled(subscribers.map((s) => Promise.race([s.ready, new Promise((_, r) => setTimeout(() => r(new Error("timeout")), 10_000))])));
      const connectedCount = connected.filter((c) => c.status === "fulfilled").length;
      // let the catch-up of older events finish before the clock starts
      await new Promise((r) => setTimeout(r, 500));

      const ledger = new WriteLedger();
      const writes = await ctx.openLoop({
        label: "realtime-events",
        connections: ctx.pick(8, 4),
        phases: [{ name: "writes", rate: writeRate, seconds: ctx.settings.durationSeconds }],
        next: (i) => ({
          method: "PATCH",
          path: `/api/v1/businesses/${business.id}`,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ name: `${prefix} ${i}` }),
          tag: `${prefix} ${i}`,
        }),
        onComplete: (request, status, _body, doneAt) => {
          ledger.record(business.id, status);
          if (status === null || status >= 300) return;
          const name = request.tag as string;
          if (!windowsStarted) {
            windowsStarted = true;
            deliveryWindows.start(doneAt);
          }
          ackAt.set(name, doneAt);
          for (const receivedAt of early.get(name) ?? []) {
            deliveredBeforeAck += 1;
            delivered(Math.max(0, receivedAt - doneAt), doneAt);
          }
          early.delete(name);
        },
      });

      // wait (bounded) until every connected subscriber has every acknowledged write
      const acked = ledger.totalAcknowledged;
      const waitUntil = performance.now() + DELIVERY_WAIT_MS;
      while (performance.now() < waitUntil && perSubscriber.some((s, i) => !subscribers[i]!.failure && s.names.size < acked)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const after = await auditSnapshot(ctx.http, token, [business.id]);

      const complete = perSubscriber.filter((s) => s.names.size === acked).length;
      const duplicates = perSubscriber.reduce((n, s) => n + s.duplicates, 0);
      const outOfOrder = perSubscriber.filter((s) => s.seqs.some((seq, i) => i > 0 && seq <= s.seqs[i - 1]!)).length;
      const missing = perSubscriber.reduce((n, s) => n + Math.max(0, acked - s.names.size), 0);
      const dropped = subscribers.filter((s) => s.failure).map((s) => s.failure);
      const checks: Check[] = [
        {
          name: "every subscriber connected and stayed connected",
          ok: connectedCount === subscribersWanted && dropped.length === 0,
          detail: `${connectedCount}/${subscribersWanted} connected${dropped.length ? `; ${dropped.length} failed: ${dropped.slice(0, 3).join(", ")}` : ""}`,
        },
        {
          name: "every subscriber received every acknowledged write once, in order",
          ok: complete === subscribersWanted && duplicates === 0 && outOfOrder === 0 && ledger.totalUnknown === 0,
          detail: `${complete}/${subscribersWanted} subscribers got all ${acked} events; ${missing} missing, ${duplicates} duplicates, ${outOfOrder} subscribers out of order${ledger.totalUnknown ? `, ${ledger.totalUnknown} writes with unknown outcome` : ""}`,
        },
        ...auditChecks(before, after, ledger),
      ];
      const delivery = summarize(fromAck);
      deliveryWindows.finish(performance.now());
      // each second: acknowledged writes/s, with that second's delivery percentiles
      const perSecond = writes.perSecond.map((w, i) => ({ ...w, p50: deliveryWindows.perSecond[i]?.p50 ?? null, p99: deliveryWindows.perSecond[i]?.p99 ?? null }));
      const serverClock = summarize(fromServerClock);
      return {
        load: { ...writes, latency: delivery, perSecond },
        mode: "open-loop writes + SSE subscribers",
        throughputMeaning: "acknowledged writes/s (each fanned out to every subscriber)",
        latencyMeaning: "event delivery: write's response at the writer → parsed at the subscriber",
        steps: {
          "PATCH (write, from scheduled time)": {
            count: writes.attempted,
            ok: writes.ok,
            errorRate: writes.errorRate,
            perSecond: Math.round(writes.throughput * 100) / 100,
            latency: writes.latency,
          },
          "delivery from the server's commit timestamp (ms resolution)": {
            count: serverClock?.count ?? 0,
            ok: serverClock?.count ?? 0,
            errorRate: null,
            perSecond: Math.round((deliveries / writes.durationSeconds) * 100) / 100,
            latency: serverClock,
          },
        },
        extra: {
          subscribers: subscribersWanted,
          subscribersConnected: connectedCount,
          writeRateOffered: writeRate,
          acknowledgedWrites: acked,
          deliveries,
          deliveriesPerSecond: Math.round((deliveries / writes.durationSeconds) * 10) / 10,
          deliveredBeforeWriterSawResponse: deliveredBeforeAck,
        },
        checks,
        notes: [
          "A subscriber can parse an event before the writer has parsed its own PATCH response (both sockets are served in the same instant); such deliveries are counted above and recorded as 0 ms.",
        ],
      };
    } finally {
      for (const s of subscribers) s.close();
    }
  },
};

export default realtimeEvents;
