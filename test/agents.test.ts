/**
 * The agents' orchestrator against the real server, without a model (COREFLOW_LLM=none): the registry,
 * tasks from queue to result, validation and permissions, audit and events, proposals approved exactly
 * once, policies that auto-apply harmless kinds, schedules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let owner: Awaited<ReturnType<typeof registerUser>>;
let biz: string;
let B: string;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  owner = await registerUser(api, "Agents Owner");
  biz = await createBusiness(api, owner.token, "Agents Co");
  B = `/businesses/${biz}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

const FINAL = ["succeeded", "failed", "cancelled", "awaiting_approval"];

/** Polls a task until it leaves queued/running (bounded: 15 s). */
async function settled(taskId: string, token = owner.token, base = B) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await api.get(`${base}/agent-tasks/${taskId}`, { token });
    if (res.status !== 200) throw new Error(`GET task: ${res.status} ${res.text}`);
    if (FINAL.includes(res.body.status) || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function addMember(role: string) {
  const user = await registerUser(api, `A ${role}`);
  const res = await api.post(`${B}/members`, { email: user.email, role }, { token: owner.token });
  expect(res.status).toBe(201);
  return user;
}

describe("the registry", () => {
  it("lists the agents with their schemas, permissions and policy, and documents them in OpenAPI", async () => {
    const res = await api.get(`${B}/agents`, { token: owner.token });
    expect(res.status).toBe(200);
    const ids = res.body.data.map((a: { id: string }) => a.id);
    expect(ids).toEqual(["anomaly-detection", "assistant", "audit-check", "cash-forecast", "collections", "lead-scoring"]);
    const scoring = res.body.data.find((a: { id: string }) => a.id === "lead-scoring");
    expect(scoring).toMatchObject({ enabled: true, schedule: null, settings: {}, requiredPermissions: ["crm:read"], policy: { files: ["lead.score"], autoApply: ["lead.score"] } });
    expect(scoring.inputSchema).toMatchObject({ type: "object", properties: { leadIds: { type: "array" } } });
    expect(scoring.outputSchema.properties.method).toBeDefined();

    const doc = await api.get("/openapi.json");
    for (const name of ["AuditCheckInput", "AuditCheckOutput", "LeadScoringInput", "LeadScoringOutput", "AssistantInput", "AssistantOutput", "AnomalyDetectionInput", "AnomalyDetectionOutput", "CashForecastInput", "CashForecastOutput", "CollectionsInput", "CollectionsOutput", "CollectionsReminderProposal", "LeadScoreProposal", "AgentTask", "Approval"]) {
      expect(doc.body.components.schemas[name], name).toBeDefined();
    }
    expect(doc.body.paths["/businesses/{businessId}/agent-tasks"].post).toBeDefined();
    expect(doc.body.paths["/businesses/{businessId}/approvals/{approvalId}/approve"].post).toBeDefined();
  });

  it("an unknown agent is 404 on its own route", async () => {
    expect((await api.get(`${B}/agents/nope`, { token: owner.token })).status).toBe(404);
    expect((await api.patch(`${B}/agents/nope`, { enabled: false }, { token: owner.token })).status).toBe(404);
  });
});

describe("a task from queue to result", () => {
  it("runs audit-check: 202 queued, then succeeded with its report, audited as the agent", async () => {
    const started = await api.post(`${B}/agent-tasks`, { agent: "audit-check" }, { token: owner.token });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ id: expect.stringMatching(/^atk_[0-9a-z]{26}$/), status: "queued" });
    const task = await settled(started.body.id);
    expect(task).toMatchObject({
      agent: "audit-check",
      status: "succeeded",
      attempts: 1,
      error: null,
      trigger: "api",
      requestedBy: `user:${owner.userId}`,
      cost: { currency: "USD", amountMicros: 0, modelCalls: 0, inputTokens: 0, outputTokens: 0 },
      result: { healthy: true, auditChain: { valid: true }, integrity: { ok: true, messages: [] } },
    });
    expect(task.startedAt).not.toBeNull();
    expect(task.finishedAt).not.toBeNull();

    const audit = await api.get(`${B}/audit?limit=200`, { token: owner.token });
    const steps = audit.body.data.filter((e: { targetId: string }) => e.targetId === task.id);
    expect(steps.map((e: { action: string }) => e.action)).toEqual(["agent_task.queued", "agent_task.started", "agent_task.succeeded"]);
    expect(steps[0]).toMatchObject({ actorType: "user", actorId: owner.userId });
    expect(steps[1]).toMatchObject({ actorType: "system", actorId: "agent:audit-check" });
    expect(steps[2]).toMatchObject({ actorType: "system", actorId: "agent:audit-check" });
    expect((await api.get(`${B}/audit/verify`, { token: owner.token })).body.valid).toBe(true);

    const listed = await api.get(`${B}/agent-tasks?status=succeeded&agent=audit-check`, { token: owner.token });
    expect(listed.body.data.map((t: { id: string }) => t.id)).toContain(task.id);
  });

  it("reports the audit chain as broken when it is (checks chosen by input)", async () => {
    const started = await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: ["integrity"] } }, { token: owner.token });
    const task = await settled(started.body.id);
    expect(task.result).toMatchObject({ healthy: true, auditChain: null, integrity: { ok: true } });
  });

  it("publishes task progress on the business's event stream", async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1${B}/events`, { headers: { Authorization: `Bearer ${owner.token}` }, signal: controller.signal });
    const started = await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: [] } }, { token: owner.token });
    const reader = res.body!.getReader();
    let text = "";
    const deadline = Date.now() + 10_000;
    const done = new RegExp(`event: agent_task.succeeded\ndata: [^\n]*"subjectId":"${started.body.id}"`);
    while (!done.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    for (const type of ["agent_task.queued", "agent_task.started", "agent_task.succeeded"]) {
      expect(text).toMatch(new RegExp(`event: ${type}\ndata: [^\n]*"subjectId":"${started.body.id}"`));
    }
  });

  it("pages through tasks newest first, each once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: [] } }, { token: owner.token })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res: { body: { data: { id: string }[]; nextCursor: string | null } } = await api.get(`${B}/agent-tasks?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: owner.token });
      seen.push(...res.body.data.map((t) => t.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 5)).toEqual([...ids].reverse());
  });
});

describe("bad input and permissions", () => {
  it("400 for an unknown agent, input that does not fit, unknown fields and bad priorities", async () => {
    const unknown = await api.post(`${B}/agent-tasks`, { agent: "mind-reader" }, { token: owner.token });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe("agent");
    const badInput = await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: ["everything"] } }, { token: owner.token });
    expect(badInput.status).toBe(400);
    expect(badInput.body.errors[0].path).toBe("input.checks.0");
    const extraInput = await api.post(`${B}/agent-tasks`, { agent: "assistant", input: { question: "hi", sudo: true } }, { token: owner.token });
    expect(extraInput.status).toBe(400);
    expect((await api.post(`${B}/agent-tasks`, { agent: "assistant", input: { question: "" } }, { token: owner.token })).status).toBe(400);
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check", extra: 1 }, { token: owner.token })).status).toBe(400);
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check", priority: 1000 }, { token: owner.token })).status).toBe(400);
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check", priority: 1.5 }, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/agent-tasks?status=sleeping`, { token: owner.token })).status).toBe(400);
    expect((await api.get(`${B}/agent-tasks/atk_nope`, { token: owner.token })).status).toBe(404);
    expect((await api.patch(`${B}/agents/audit-check`, { schedule: "nightly" }, { token: owner.token })).status).toBe(400);
    const badSettings = await api.patch(`${B}/agents/lead-scoring`, { settings: { autoApply: "yes" } }, { token: owner.token });
    expect(badSettings.status).toBe(400);
    expect(badSettings.body.errors[0].path).toBe("settings.autoApply");
  });

  it("viewers read but may not start, cancel, configure or approve (403); sales may not run what reads the audit log", async () => {
    const viewer = await addMember("viewer");
    expect((await api.get(`${B}/agents`, { token: viewer.token })).status).toBe(200);
    expect((await api.get(`${B}/agent-tasks`, { token: viewer.token })).status).toBe(200);
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check" }, { token: viewer.token })).status).toBe(403);
    expect((await api.patch(`${B}/agents/audit-check`, { enabled: false }, { token: viewer.token })).status).toBe(403);
    expect((await api.post(`${B}/approvals/apr_whatever/approve`, undefined, { token: viewer.token })).status).toBe(403);
    expect((await api.post(`${B}/approvals/apr_whatever/reject`, undefined, { token: viewer.token })).status).toBe(403);
    const started = await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: [] } }, { token: owner.token });
    expect((await api.post(`${B}/agent-tasks/${started.body.id}/cancel`, undefined, { token: viewer.token })).status).toBe(403);

    const sales = await addMember("sales");
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check" }, { token: sales.token })).status).toBe(403);
    expect((await api.post(`${B}/agent-tasks`, { agent: "lead-scoring" }, { token: sales.token })).status).toBe(202);
    // sales may run agents but not approve their proposals
    expect((await api.post(`${B}/approvals/apr_whatever/approve`, undefined, { token: sales.token })).status).toBe(403);
  });

  it("a turned-off agent cannot be started (422) until it is turned on again", async () => {
    const off = await api.patch(`${B}/agents/audit-check`, { enabled: false }, { token: owner.token });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check" }, { token: owner.token })).status).toBe(422);
    const got = await api.get(`${B}/agents/audit-check`, { token: owner.token });
    expect(got.headers.get("etag")).toBe(off.headers.get("etag"));
    const stale = await api.patch(`${B}/agents/audit-check`, { enabled: true }, { token: owner.token, headers: { "If-Match": '"stale"' } });
    expect(stale.status).toBe(412);
    const on = await api.patch(`${B}/agents/audit-check`, { enabled: true }, { token: owner.token, headers: { "If-Match": got.headers.get("etag")! } });
    expect(on.status).toBe(200);
    expect((await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: [] } }, { token: owner.token })).status).toBe(202);
  });
});

describe("cancel", () => {
  it("a finished task cannot be cancelled (409); an unknown one is 404", async () => {
    const started = await api.post(`${B}/agent-tasks`, { agent: "audit-check", input: { checks: [] } }, { token: owner.token });
    await settled(started.body.id);
    expect((await api.post(`${B}/agent-tasks/${started.body.id}/cancel`, undefined, { token: owner.token })).status).toBe(409);
    expect((await api.post(`${B}/agent-tasks/atk_none/cancel`, undefined, { token: owner.token })).status).toBe(404);
  });
});

describe("lead scoring: proposals, approved exactly once", () => {
  let leads: string[];
  let base: string;
  let token: string;

  beforeAll(async () => {
    const founder = await registerUser(api, "Scoring Founder");
    token = founder.token;
    base = `/businesses/${await createBusiness(api, token, "Scoring Co")}`;
    const company = await api.post(`${base}/companies`, { name: "Big Co", domain: "big.example", industry: "Manufacturing", size: "1001-5000" }, { token });
    expect(company.status).toBe(201);
    const contact = await api.post(`${base}/contacts`, { firstName: "Ada", lastName: "Byron", email: "ada@big.example", phone: "+14155550100", companyId: company.body.id }, { token });
    expect(contact.status).toBe(201);
    const hot = await api.post(`${base}/leads`, { title: "Big deal", status: "qualified", companyId: company.body.id, contactId: contact.body.id, value: 5_000_000, currency: "USD" }, { token });
    const cold = await api.post(`${base}/leads`, { title: "Maybe", status: "new" }, { token });
    const lost = await api.post(`${base}/leads`, { title: "Gone", status: "unqualified" }, { token });
    expect([hot.status, cold.status, lost.status]).toEqual([201, 201, 201]);
    for (let i = 0; i < 3; i++) {
      expect((await api.post(`${base}/activities`, { type: "call", subject: `call ${i}`, leadId: hot.body.id }, { token })).status).toBe(201);
    }
    leads = [hot.body.id, cold.body.id];
  });

  it("scores open leads with reasons and files one proposal per lead; nothing changes before approval", async () => {
    const started = await api.post(`${base}/agent-tasks`, { agent: "lead-scoring" }, { token });
    const task = await settled(started.body.id, token, base);
    expect(task.status).toBe("awaiting_approval");
    expect(task.result).toMatchObject({ method: "rules", scored: 2, proposals: 2 });
    const [hot, cold] = leads.map((id) => task.result.scores.find((s: { leadId: string }) => s.leadId === id));
    expect(hot.score).toBeGreaterThan(cold.score);
    expect(hot.reasons.length).toBeGreaterThan(0);

    const pending = await api.get(`${base}/approvals?status=pending&taskId=${task.id}`, { token });
    expect(pending.body.data).toHaveLength(2);
    expect(pending.body.data[0]).toMatchObject({ kind: "lead.score", targetType: "lead", status: "pending", agent: "lead-scoring", autoApplied: false });
    const lead = await api.get(`${base}/leads/${leads[0]}`, { token });
    expect(lead.body.score).toBeNull();
  });

  it("concurrent approvals apply once: one 200, the rest 409; the task finishes when nothing is pending", async () => {
    const pending = await api.get(`${base}/approvals?status=pending`, { token });
    const target = pending.body.data.find((p: { targetId: string }) => p.targetId === leads[0]);
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.post(`${base}/approvals/${target.id}/approve`, undefined, { token })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    const ok = answers.find((a) => a.status === 200)!;
    expect(ok.body).toMatchObject({ id: target.id, status: "applied", decidedBy: expect.stringContaining("user:") });
    expect((await api.post(`${base}/approvals/${target.id}/reject`, undefined, { token })).status).toBe(409);

    const lead = await api.get(`${base}/leads/${leads[0]}`, { token });
    expect(lead.body.score).toBe(target.payload.score);
    expect(lead.body.scoreReasons).toEqual(target.payload.reasons);
    const audit = await api.get(`${base}/audit?limit=200`, { token });
    const applied = audit.body.data.filter((e: { action: string; targetId: string }) => e.action === "lead.updated" && e.targetId === leads[0]);
    expect(applied).toHaveLength(1);

    const other = pending.body.data.find((p: { targetId: string }) => p.targetId === leads[1]);
    const task = await api.get(`${base}/agent-tasks/${target.taskId}`, { token });
    expect(task.body.status).toBe("awaiting_approval");
    const rejected = await api.post(`${base}/approvals/${other.id}/reject`, undefined, { token });
    expect(rejected.body.status).toBe("rejected");
    expect((await api.get(`${base}/leads/${leads[1]}`, { token })).body.score).toBeNull();
    expect((await api.get(`${base}/agent-tasks/${target.taskId}`, { token })).body.status).toBe("succeeded");
  });

  it("an accountant may approve agents' proposals in general but not CRM changes (403)", async () => {
    const accountant = await registerUser(api, "Accountant");
    const bizId = base.split("/")[2];
    expect((await api.post(`${base}/members`, { email: accountant.email, role: "accountant" }, { token })).status).toBe(201);
    const started = await api.post(`${base}/agent-tasks`, { agent: "lead-scoring", input: { leadIds: [leads[1]] } }, { token });
    const task = await settled(started.body.id, token, base);
    expect(task.status).toBe("awaiting_approval");
    const [proposal] = (await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data;
    expect((await api.post(`/businesses/${bizId}/approvals/${proposal.id}/approve`, undefined, { token: accountant.token })).status).toBe(403);
  });

  it("cancelling a task awaiting approval withdraws its proposals", async () => {
    const started = await api.post(`${base}/agent-tasks`, { agent: "lead-scoring", input: { leadIds: [leads[1]] } }, { token });
    const task = await settled(started.body.id, token, base);
    expect(task.status).toBe("awaiting_approval");
    const cancelled = await api.post(`${base}/agent-tasks/${task.id}/cancel`, undefined, { token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
    const [proposal] = (await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data;
    expect(proposal.status).toBe("cancelled");
    expect((await api.post(`${base}/approvals/${proposal.id}/approve`, undefined, { token })).status).toBe(409);
  });

  it("with autoApply on, its policy applies harmless scores by itself, audited as the agent", async () => {
    const patched = await api.patch(`${base}/agents/lead-scoring`, { settings: { autoApply: true } }, { token });
    expect(patched.status).toBe(200);
    expect(patched.body.settings).toEqual({ autoApply: true });
    const started = await api.post(`${base}/agent-tasks`, { agent: "lead-scoring" }, { token });
    const task = await settled(started.body.id, token, base);
    expect(task.status).toBe("succeeded");
    const props = (await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data;
    expect(props.length).toBeGreaterThan(0);
    for (const p of props) expect(p).toMatchObject({ status: "applied", autoApplied: true, decidedBy: "system:agent:lead-scoring" });
    const lead = await api.get(`${base}/leads/${leads[1]}`, { token });
    expect(lead.body.score).toEqual(expect.any(Number));
    const audit = await api.get(`${base}/audit?limit=200`, { token });
    const update = audit.body.data.find((e: { action: string; targetId: string }) => e.action === "lead.updated" && e.targetId === leads[1]);
    expect(update).toMatchObject({ actorType: "system", actorId: "agent:lead-scoring" });
  });
});

describe("lead scoring learns from the business's own won and lost leads", () => {
  it("switches from rules to a fitted model once there are 20 outcomes with 5 of each", async () => {
    const founder = await registerUser(api, "Learning Founder");
    const token = founder.token;
    const base = `/businesses/${await createBusiness(api, token, "Learning Co")}`;
    const bulk = async (items: unknown[]) => {
      const res = await api.post(`${base}/leads/bulk`, { items }, { token });
      expect(res.status).toBe(201);
      return (res.body.data ?? res.body.items ?? res.body) as { id: string }[];
    };
    // lost: 15 unqualified leads without a contact
    await bulk(Array.from({ length: 15 }, (_, i) => ({ title: `Lost ${i}`, status: "unqualified" })));
    // won: 5 leads with a contact and a phone, converted into deals that were won
    const contact = await api.post(`${base}/contacts`, { firstName: "Win", lastName: "Ner", phone: "+14155550111" }, { token });
    const winners = await bulk(Array.from({ length: 5 }, (_, i) => ({ title: `Won ${i}`, status: "qualified", contactId: contact.body.id })));
    for (const lead of winners) {
      const converted = await api.post(`${base}/leads/${lead.id}/convert`, {}, { token });
      expect(converted.status).toBe(201);
      const dealId = converted.body.deal?.id ?? converted.body.lead?.dealId;
      expect((await api.patch(`${base}/deals/${dealId}`, { status: "won" }, { token })).status).toBe(200);
    }
    const open = await api.post(`${base}/leads`, { title: "Open one", status: "new", contactId: contact.body.id }, { token });
    const cold = await api.post(`${base}/leads`, { title: "Cold one", status: "new" }, { token });

    const task = await settled((await api.post(`${base}/agent-tasks`, { agent: "lead-scoring" }, { token })).body.id, token, base);
    expect(task.result).toMatchObject({ method: "model", historySize: 20, scored: 2 });
    const score = (id: string) => task.result.scores.find((s: { leadId: string }) => s.leadId === id);
    expect(score(open.body.id).score).toBeGreaterThan(score(cold.body.id).score);
    expect(score(open.body.id).reasons[0]).toMatch(/learned/);
  });
});

describe("event triggers", () => {
  it("a new lead starts lead scoring when the business turned the trigger on", async () => {
    const founder = await registerUser(api, "Trigger Founder");
    const token = founder.token;
    const base = `/businesses/${await createBusiness(api, token, "Trigger Co")}`;
    const before = await api.post(`${base}/leads`, { title: "Before the trigger", status: "new" }, { token });
    const bad = await api.patch(`${base}/agents/lead-scoring`, { triggers: ["invoice.issued"] }, { token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("triggers.0");
    const on = await api.patch(`${base}/agents/lead-scoring`, { triggers: ["lead.created"], settings: { autoApply: true } }, { token });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ triggers: ["lead.created"], triggerEvents: ["lead.created"] });

    const lead = await api.post(`${base}/leads`, { title: "Fresh lead", status: "contacted" }, { token });
    const deadline = Date.now() + 10_000;
    let scored: { score: number | null } = { score: null };
    while (Date.now() < deadline) {
      scored = (await api.get(`${base}/leads/${lead.body.id}`, { token })).body;
      if (scored.score !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(scored.score).toEqual(expect.any(Number));
    const tasks = (await api.get(`${base}/agent-tasks?agent=lead-scoring`, { token })).body.data;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ trigger: "event", status: "succeeded", input: { leadIds: [lead.body.id] } });
    // the lead from before the trigger was turned on was not scored
    expect((await api.get(`${base}/leads/${before.body.id}`, { token })).body.score).toBeNull();
  });
});

describe("anomaly detection", () => {
  it("flags the unusual journal entries with explanations, against the business's own history, changing nothing", async () => {
    const founder = await registerUser(api, "Books Founder");
    const token = founder.token;
    const base = `/businesses/${await createBusiness(api, token, "Books Co")}`;
    const accounts = (await api.get(`${base}/accounts?limit=200`, { token })).body.data as { id: string; name: string }[];
    const rent = accounts.find((a) => a.name === "Rent")!.id;
    const cash = accounts.find((a) => a.name === "Cash")!.id;
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const weekday = (daysAgo: number) => {
      let d = daysAgo;
      while ([0, 6].includes(new Date(`${day(d)}T00:00:00Z`).getUTCDay())) d += 1;
      return d;
    };
    const post = async (daysAgo: number, amount: number) => {
      const res = await api.post(`${base}/journal-entries`, { date: day(daysAgo), memo: "rent", lines: [{ accountId: rent, debit: amount, credit: 0 }, { accountId: cash, debit: 0, credit: amount }] }, { token });
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    // a year of ordinary rent payments on weekdays, 1,200.xx each
    for (let i = 0; i < 12; i++) await post(weekday(60 + i * 25), 120_000 + i * 131);
    const huge = await post(weekday(10), 9_876_543);
    const first = await post(weekday(8), 123_456);
    const twin = await post(weekday(8), 123_456);
    const round = await post(weekday(5), 500_000);

    const task = await settled((await api.post(`${base}/agent-tasks`, { agent: "anomaly-detection", input: { days: 30 } }, { token })).body.id, token, base);
    expect(task.status).toBe("succeeded");
    expect(task.result.currency).toBe("USD");
    const byKind = (kind: string) => task.result.flags.filter((f: { kind: string }) => f.kind === kind).map((f: { subjectId: string }) => f.subjectId);
    expect(byKind("unusual_amount")).toContain(huge);
    expect(byKind("duplicate")).toEqual([twin]);
    expect(byKind("round_amount")).toEqual([round]);
    expect(byKind("unusual_amount")).not.toContain(first);
    const explained = task.result.flags.find((f: { subjectId: string }) => f.subjectId === huge);
    expect(explained.explanation).toMatch(/98765\.43 on (Rent|Cash) is far from its usual/);
    expect((await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data).toEqual([]);
    expect((await api.post(`${B}/agent-tasks`, { agent: "anomaly-detection", input: { days: 0 } }, { token: owner.token })).status).toBe(400);
  });
});

describe("cash forecast", () => {
  it("projects today's cash plus receivables on their due dates minus the recent burn, with a band", async () => {
    const founder = await registerUser(api, "Cash Founder");
    const token = founder.token;
    const base = `/businesses/${await createBusiness(api, token, "Cash Co")}`;
    const accounts = (await api.get(`${base}/accounts?limit=200`, { token })).body.data as { id: string; name: string }[];
    const id = (name: string) => accounts.find((a) => a.name === name)!.id;
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const entry = async (date: string, debit: string, credit: string, amount: number) => {
      const res = await api.post(`${base}/journal-entries`, { date, lines: [{ accountId: id(debit), debit: amount, credit: 0 }, { accountId: id(credit), debit: 0, credit: amount }] }, { token });
      expect(res.status, res.text).toBe(201);
    };
    await entry(day(-20), "Cash", "Owner's equity", 1_000_000);
    await entry(day(-10), "Rent", "Cash", 270_000);
    const customer = await api.post(`${base}/companies`, { name: "Customer Co" }, { token });
    const invoice = await api.post(
      `${base}/invoices`,
      { customerId: customer.body.id, currency: "USD", issueDate: day(-1), dueDate: day(20), lines: [{ description: "Work", quantity: "1", unitPrice: 500_000, taxRate: "0" }] },
      { token },
    );
    expect(invoice.status, invoice.text).toBe(201);
    expect((await api.post(`${base}/invoices/${invoice.body.id}/issue`, {}, { token })).status).toBe(200);

    const task = await settled((await api.post(`${base}/agent-tasks`, { agent: "cash-forecast" }, { token })).body.id, token, base);
    expect(task.status, JSON.stringify(task.error)).toBe("succeeded");
    const f = task.result;
    expect(f).toMatchObject({ currency: "USD", openingCash: 730_000, dailyOutflow: 3_000, firstBelowZero: null });
    expect(f.receivables).toEqual([{ invoiceId: invoice.body.id, amountDue: 500_000, expectedDate: day(20), daysLate: 0, basis: "none" }]);
    expect(f.series).toHaveLength(90);
    expect(f.series[0].date).toBe(day(1));
    // by day 90 the invoice is in and 90 days of burn are out: 730,000 + 500,000 − 270,000
    expect(f.series[89].expected).toBeGreaterThan(959_000);
    expect(f.series[89].expected).toBeLessThanOrEqual(960_000);
    for (const p of f.series) expect(p.low <= p.expected && p.expected <= p.high).toBe(true);
  });
});

describe("the assistant without a model", () => {
  it("answers the documented question forms with the figures it used, and says plainly when it cannot", async () => {
    const q = async (question: string) => settled((await api.post(`${B}/agent-tasks`, { agent: "assistant", input: { question } }, { token: owner.token })).body.id);
    const count = await q("How many companies do we have?");
    expect(count.result).toMatchObject({ answered: true, method: "rules", answer: "The business has 0 companies.", citations: [{ figure: "companies count", value: 0 }] });
    const audit = await q("Is the audit log intact?");
    expect(audit.result.answer).toMatch(/^The audit chain verifies/);
    const unknown = await q("What will the weather be tomorrow?");
    expect(unknown.status).toBe("succeeded");
    expect(unknown.result).toMatchObject({ answered: false, citations: [] });
  });
});

describe("schedules", () => {
  it("a scheduled agent gets a task when its time comes, as the scheduler", async () => {
    const founder = await registerUser(api, "Scheduler");
    const base = `/businesses/${await createBusiness(api, founder.token, "Scheduled Co")}`;
    const set = await api.patch(`${base}/agents/audit-check`, { schedule: "every 10 seconds" }, { token: founder.token });
    expect(set.status).toBe(200);
    expect(set.body.schedule).toBe("every 10 seconds");
    expect(Date.parse(set.body.nextRunAt)).toBeGreaterThan(Date.now() - 1000);
    // the next 10-second boundary is at most 10 s away; wait for the scheduled task (bounded)
    const deadline = Date.now() + 20_000;
    let tasks: { trigger: string; status: string }[] = [];
    while (Date.now() < deadline) {
      tasks = (await api.get(`${base}/agent-tasks?agent=audit-check`, { token: founder.token })).body.data;
      if (tasks.some((t) => t.trigger === "schedule" && t.status === "succeeded")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(tasks.find((t) => t.trigger === "schedule")).toMatchObject({ status: "succeeded", requestedBy: "schedule" });
  }, 30_000);
});
