/**
 * Agent tasks survive the process: kill -9 while a task runs and others wait, restart, everything
 * completes (the interrupted attempt counts); SIGTERM stops a running task cleanly and queues it again.
 * Proposals expire (this server gives them one second) and their tasks close without waiting for other work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, openaiText, startFakeModel } from "./agents-fake-model.js";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let fake: FakeModel;
let server: RunningServer;
let api: Client;
let env: Record<string, string>;
let token: string;
let base: string;

beforeAll(async () => {
  fake = await startFakeModel();
  env = {
    COREFLOW_LLM: "openai",
    OPENAI_BASE_URL: `${fake.url}/v1`,
    OPENAI_API_KEY: "sk-test",
    AGENT_BUSINESS_CONCURRENCY: "1",
    RATE_LIMIT_PER_SECOND: "0",
    AGENT_PROPOSAL_TTL_SECONDS: "1",
  };
  server = await startServer({ env });
  api = client(server.url);
  const user = await registerUser(api, "Durable");
  token = user.token;
  base = `/businesses/${await createBusiness(api, token, "Durable Co")}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
  await fake?.close();
});

async function restart(signal: NodeJS.Signals) {
  const code = await server.stop(signal);
  server = await startServer({ dataDir: server.dataDir, env });
  api = client(server.url);
  return code;
}

const ask = async (question: string) => (await api.post(`${base}/agent-tasks`, { agent: "assistant", input: { question } }, { token })).body.id as string;
const get = async (id: string) => (await api.get(`${base}/agent-tasks/${id}`, { token })).body;

async function settled(id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const task = await get(id);
    if (!["queued", "running"].includes(task.status) || Date.now() > deadline) return task;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function actionsOf(id: string) {
  const audit = await api.get(`${base}/audit?limit=200`, { token });
  return audit.body.data.filter((e: { targetId: string }) => e.targetId === id).map((e: { action: string; actorId: string }) => `${e.action} by ${e.actorId}`);
}

describe("restart durability", () => {
  it("kill -9 with one task running and two queued: after the restart all three complete", async () => {
    fake.requests.length = 0;
    fake.script.push({ ...openaiText("never delivered"), delayMs: 30_000 });
    const a = await ask("A");
    const b = await ask("B");
    const c = await ask("C");
    await fake.waitForRequests(1);
    expect((await get(a)).status).toBe("running");
    expect((await get(b)).status).toBe("queued");
    expect((await get(c)).status).toBe("queued");

    await restart("SIGKILL");

    const [ta, tb, tc] = [await settled(a), await settled(b), await settled(c)];
    for (const t of [ta, tb, tc]) expect(t.status).toBe("succeeded");
    expect(ta.attempts).toBe(2);
    expect(tb.attempts).toBe(1);
    expect(await actionsOf(a)).toEqual([
      "agent_task.queued by " + (await api.get("/me", { token })).body.user.id,
      "agent_task.started by agent:assistant",
      "agent_task.requeued by agent:orchestrator",
      "agent_task.started by agent:assistant",
      "agent_task.succeeded by agent:assistant",
    ]);
    expect((await api.get(`${base}/audit/verify`, { token })).body.valid).toBe(true);
  });

  it("SIGTERM stops a running task and queues it again without counting the attempt; the server exits 0", async () => {
    fake.requests.length = 0;
    fake.script.push({ ...openaiText("never delivered"), delayMs: 30_000 });
    const id = await ask("D");
    await fake.waitForRequests(1);
    expect((await get(id)).status).toBe("running");

    expect(await restart("SIGTERM")).toBe(0);

    const task = await settled(id);
    expect(task).toMatchObject({ status: "succeeded", attempts: 1 });
    const actions = await actionsOf(id);
    expect(actions).toContain("agent_task.requeued by agent:assistant");
    expect(actions.at(-1)).toBe("agent_task.succeeded by agent:assistant");
  });
});

describe("proposal expiry", () => {
  /** Polls a task until it leaves awaiting_approval (bounded: 10 s, far beyond the 1 s expiry). */
  async function closed(id: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const task = await get(id);
      if (task.status !== "awaiting_approval" || Date.now() > deadline) return task;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function awaitingOneProposal(title: string) {
    const lead = await api.post(`${base}/leads`, { title, status: "new" }, { token });
    expect(lead.status).toBe(201);
    const started = await api.post(`${base}/agent-tasks`, { agent: "lead-scoring", input: { leadIds: [lead.body.id] } }, { token });
    const task = await settled(started.body.id);
    expect(task.status).toBe("awaiting_approval");
    const [proposal] = (await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data;
    expect(proposal.status).toBe("pending");
    return { lead: lead.body.id as string, task: task.id as string, proposal: proposal.id as string };
  }

  it("a proposal not decided in time reads as expired, cannot be approved, and its task is closed with no other task running", async () => {
    const { lead, task, proposal } = await awaitingOneProposal("Expiring");
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await api.get(`${base}/approvals/${proposal}`, { token })).body.status).toBe("expired");
    expect((await api.get(`${base}/approvals?status=expired`, { token })).body.data.map((p: { id: string }) => p.id)).toContain(proposal);
    expect((await api.get(`${base}/approvals?status=pending`, { token })).body.data).toHaveLength(0);
    expect((await api.post(`${base}/approvals/${proposal}/approve`, undefined, { token })).status).toBe(409);
    expect((await api.get(`${base}/leads/${lead}`, { token })).body.score).toBeNull();

    // nothing else is queued or running in the business: the orchestrator's timer closed the task
    expect((await closed(task)).status).toBe("succeeded");
    const ids = async (status: string) => (await api.get(`${base}/agent-tasks?status=${status}`, { token })).body.data.map((t: { id: string }) => t.id);
    expect(await ids("succeeded")).toContain(task);
    expect(await ids("awaiting_approval")).not.toContain(task);
    expect([...(await ids("queued")), ...(await ids("running"))]).toEqual([]);
    expect(await actionsOf(proposal)).toContain("agent_proposal.expired by agent:orchestrator");
    expect((await actionsOf(task)).at(-1)).toBe("agent_task.succeeded by agent:orchestrator");
  });

  it("closes the task even while the business's only slot is held by a long task", async () => {
    const { task } = await awaitingOneProposal("Expiring while busy");
    fake.requests.length = 0;
    fake.script.push({ ...openaiText("never delivered"), delayMs: 30_000 });
    const busy = await ask("E");
    await fake.waitForRequests(1);
    expect((await get(busy)).status).toBe("running");

    expect((await closed(task)).status).toBe("succeeded");
    expect((await get(busy)).status).toBe("running");
    expect((await api.post(`${base}/agent-tasks/${busy}/cancel`, undefined, { token })).status).toBe(200);
  });
});
