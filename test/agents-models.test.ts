/**
 * Agents with a language model: the real server against a local fake speaking the OpenAI and Anthropic
 * protocols — tool calls, 500s, 429 with Retry-After, timeouts, malformed replies, tool loops, cancel,
 * token usage and cost, and the spend budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicText, anthropicTool, type FakeModel, openaiText, openaiTool, startFakeModel } from "./agents-fake-model.js";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

const COMMON = {
  RATE_LIMIT_PER_SECOND: "0",
  AGENT_RETRY_BASE_MS: "50",
  AGENT_RETRY_MAX_MS: "200",
  AGENT_MAX_ATTEMPTS: "3",
  AGENT_MAX_TOOL_STEPS: "3",
  COREFLOW_LLM_TIMEOUT_MS: "1000",
  COREFLOW_LLM_BREAKER_THRESHOLD: "1000",
};

interface Setup {
  fake: FakeModel;
  server: RunningServer;
  api: Client;
  token: string;
  base: string;
}

/** `{fake}` in a value becomes the fake model's URL. */
async function setup(template: Record<string, string>): Promise<Setup> {
  const fake = await startFakeModel();
  const env = Object.fromEntries(Object.entries(template).map(([k, v]) => [k, v.replace("{fake}", fake.url)]));
  const server = await startServer({ env: { ...COMMON, ...env } });
  const api = client(server.url);
  const user = await registerUser(api, "Model User");
  const base = `/businesses/${await createBusiness(api, user.token, "Model Co")}`;
  return { fake, server, api, token: user.token, base };
}

async function teardown(s: Setup | undefined) {
  if (!s) return;
  await s.server.stop();
  removeDataDir(s.server.dataDir);
  await s.fake.close();
}

async function ask(s: Setup, question: string) {
  const res = await s.api.post(`${s.base}/agent-tasks`, { agent: "assistant", input: { question } }, { token: s.token });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

async function settled(s: Setup, id: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await s.api.get(`${s.base}/agent-tasks/${id}`, { token: s.token });
    if (!["queued", "running"].includes(res.body.status) || Date.now() > deadline) return res.body;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function actions(s: Setup, taskId: string) {
  const audit = await s.api.get(`${s.base}/audit?limit=200`, { token: s.token });
  return audit.body.data.filter((e: { targetId: string }) => e.targetId === taskId).map((e: { action: string }) => e.action);
}

describe("OpenAI-compatible Chat Completions", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ COREFLOW_LLM: "openai", OPENAI_BASE_URL: "{fake}/v1", OPENAI_API_KEY: "sk-test", AGENT_BUSINESS_CONCURRENCY: "1" });
  });
  afterAll(() => teardown(s));

  it("calls a read-only tool, answers citing it, and records tokens and cost", async () => {
    s.fake.requests.length = 0;
    s.fake.script.push(openaiTool("count_records", { kind: "leads" }, "call_1"), openaiText("There are 0 leads."));
    const task = await settled(s, await ask(s, "How many leads?"));
    expect(task).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(task.result).toMatchObject({ answered: true, method: "model", answer: "There are 0 leads.", citations: [{ figure: "count_records", value: { kind: "leads", count: 0 }, source: "tool:count_records" }] });
    // defaults for openai: 1 micro-dollar per input token, 4 per output token
    expect(task.cost).toEqual({ currency: "USD", modelCalls: 2, inputTokens: 150, outputTokens: 30, amountMicros: 150 * 1 + 30 * 4 });
    const [first, second] = s.fake.requests;
    expect(first!.path).toBe("/v1/chat/completions");
    expect(first!.headers.authorization).toBe("Bearer sk-test");
    expect(first!.body.tools.map((t: { function: { name: string } }) => t.function.name)).toContain("count_records");
    expect(first!.body.messages[0].role).toBe("system");
    expect(second!.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_1", content: JSON.stringify({ kind: "leads", count: 0 }) });
  });

  it("retries a 500 with backoff, then succeeds; the retry is audited", async () => {
    s.fake.script.push({ status: 500, body: { error: "boom" } }, openaiText("Recovered."));
    const task = await settled(s, await ask(s, "Anything?"));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, result: { answer: "Recovered." } });
    expect(await actions(s, task.id)).toEqual(["agent_task.queued", "agent_task.started", "agent_task.retry_scheduled", "agent_task.started", "agent_task.succeeded"]);
  });

  it("waits out a 429 with Retry-After, then succeeds", async () => {
    s.fake.requests.length = 0;
    s.fake.script.push({ status: 429, headers: { "retry-after": "1" }, body: { error: "slow down" } }, openaiText("After the pause."));
    const id = await ask(s, "Anything?");
    await s.fake.waitForRequests(1);
    const waiting = await s.api.get(`${s.base}/agent-tasks/${id}`, { token: s.token });
    const task = await settled(s, id);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, result: { answer: "After the pause." } });
    expect(s.fake.requests).toHaveLength(2);
    if (waiting.body.status === "queued") expect(waiting.body.error).toMatch(/429/);
  });

  it("a model call that takes too long is stopped and retried", async () => {
    s.fake.script.push({ ...openaiText("too late"), delayMs: 5_000 }, openaiText("In time."));
    const task = await settled(s, await ask(s, "Anything?"));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, result: { answer: "In time." } });
  });

  it("gives up after the maximum attempts, failed with the error", async () => {
    for (let i = 0; i < 3; i++) s.fake.script.push({ status: 503, body: {} });
    const task = await settled(s, await ask(s, "Anything?"));
    expect(task).toMatchObject({ status: "failed", attempts: 3 });
    expect(task.error).toMatch(/503/);
  });

  it("a malformed reply fails the task at once with a clear error (not retried)", async () => {
    s.fake.script.push({ raw: "<html>gateway</html>" });
    const notJson = await settled(s, await ask(s, "Anything?"));
    expect(notJson).toMatchObject({ status: "failed", attempts: 1 });
    expect(notJson.error).toMatch(/not JSON/);
    s.fake.script.push({ body: { choices: [] } });
    const empty = await settled(s, await ask(s, "Anything?"));
    expect(empty.error).toMatch(/malformed/);
    s.fake.script.push({ body: { choices: [{ message: { content: null, tool_calls: [{ id: "x", type: "function", function: { name: "count_records", arguments: "{oops" } }] } }] } });
    const badArgs = await settled(s, await ask(s, "Anything?"));
    expect(badArgs.error).toMatch(/arguments .* not JSON/);
  });

  it("a model that loops on tools fails after the bounded number of steps; unknown tools fail too", async () => {
    for (let i = 0; i < 10; i++) s.fake.script.push(openaiTool("audit_status", {}));
    const looping = await settled(s, await ask(s, "Loop"));
    expect(looping).toMatchObject({ status: "failed", attempts: 1 });
    expect(looping.error).toMatch(/still calling tools after 3 steps/);
    expect(looping.cost.modelCalls).toBe(4);
    s.fake.script.length = 0;
    s.fake.script.push(openaiTool("drop_tables", {}));
    const unknown = await settled(s, await ask(s, "Drop"));
    expect(unknown.error).toMatch(/does not exist: drop_tables/);
  });

  it("runs the queue by priority, then age, one task at a time in this business", async () => {
    s.fake.requests.length = 0;
    s.fake.script.length = 0;
    s.fake.script.push({ ...openaiText("blocker done"), delayMs: 500 });
    const blocker = await ask(s, "blocker");
    await s.fake.waitForRequests(1);
    const low1 = await s.api.post(`${s.base}/agent-tasks`, { agent: "assistant", input: { question: "low one" } }, { token: s.token });
    const high = await s.api.post(`${s.base}/agent-tasks`, { agent: "assistant", input: { question: "high" }, priority: 10 }, { token: s.token });
    const low2 = await s.api.post(`${s.base}/agent-tasks`, { agent: "assistant", input: { question: "low two" } }, { token: s.token });
    const urgentLater = await s.api.post(`${s.base}/agent-tasks`, { agent: "assistant", input: { question: "negative" }, priority: -5 }, { token: s.token });
    for (const id of [blocker, low1.body.id, high.body.id, low2.body.id, urgentLater.body.id]) expect((await settled(s, id)).status).toBe("succeeded");
    const order = s.fake.requests.map((r) => r.body.messages.find((m: { role: string }) => m.role === "user").content);
    expect(order).toEqual(["blocker", "high", "low one", "low two", "negative"]);
  });

  it("cancel stops a running task and a queued one; nothing is applied afterwards", async () => {
    s.fake.requests.length = 0;
    s.fake.script.push({ ...openaiText("never seen"), delayMs: 800 });
    const running = await ask(s, "Slow");
    const queued = await ask(s, "Behind it");
    await s.fake.waitForRequests(1);
    // one at a time in this business: the second waits
    const c2 = await s.api.post(`${s.base}/agent-tasks/${queued}/cancel`, undefined, { token: s.token });
    expect(c2.status).toBe(200);
    expect(c2.body).toMatchObject({ status: "cancelled", attempts: 0 });
    const c1 = await s.api.post(`${s.base}/agent-tasks/${running}/cancel`, undefined, { token: s.token });
    expect(c1.status).toBe(200);
    expect(c1.body).toMatchObject({ status: "cancelled", attempts: 1 });
    await new Promise((r) => setTimeout(r, 1_200));
    const after = await s.api.get(`${s.base}/agent-tasks/${running}`, { token: s.token });
    expect(after.body).toMatchObject({ status: "cancelled", result: null });
    expect(await actions(s, running)).toEqual(["agent_task.queued", "agent_task.started", "agent_task.cancelled"]);
  });
});

describe("Anthropic Messages", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({ COREFLOW_LLM: "anthropic", ANTHROPIC_BASE_URL: "{fake}", ANTHROPIC_API_KEY: "ak-test" });
  });
  afterAll(() => teardown(s));

  it("uses tools, answers, and records cost at Anthropic prices", async () => {
    s.fake.requests.length = 0;
    s.fake.script.push({ status: 500, body: { type: "error" } }, anthropicTool("open_deals", {}, "toolu_1"), anthropicText("No open deals."));
    const task = await settled(s, await ask(s, "What is in the pipeline?"));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2, result: { method: "model", answer: "No open deals.", citations: [{ figure: "open_deals", value: [] }] } });
    // defaults for anthropic: 3 micro-dollars per input token, 15 per output token
    expect(task.cost).toEqual({ currency: "USD", modelCalls: 2, inputTokens: 150, outputTokens: 30, amountMicros: 150 * 3 + 30 * 15 });
    const last = s.fake.requests.at(-1)!;
    expect(last.path).toBe("/v1/messages");
    expect(last.headers["x-api-key"]).toBe("ak-test");
    expect(last.headers["anthropic-version"]).toBe("2023-06-01");
    expect(last.body.system).toMatch(/business/);
    expect(last.body.tools[0]).toHaveProperty("input_schema");
    expect(last.body.messages.at(-1)).toEqual({ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "[]" }] });
  });

  it("a reply without content fails the task", async () => {
    s.fake.script.push({ body: { type: "message", usage: {} } });
    const task = await settled(s, await ask(s, "Anything?"));
    expect(task).toMatchObject({ status: "failed", attempts: 1 });
    expect(task.error).toMatch(/malformed: no content/);
  });
});

describe("the spend budget", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({
      COREFLOW_LLM: "openai",
      OPENAI_BASE_URL: "{fake}/v1",
      OPENAI_API_KEY: "sk-test",
      AGENT_MONTHLY_BUDGET_MICROS: "5000",
      COREFLOW_LLM_INPUT_PRICE: "1",
      COREFLOW_LLM_OUTPUT_PRICE: "1",
    });
  });
  afterAll(() => teardown(s));

  it("a call that would pass the month's budget is refused before it is made, and the task fails saying so", async () => {
    // a call reserves its worst case (1024 output tokens + its input, under 2,000 micro-dollars here) and
    // settles what it really cost: the first call fits and spends 4,500 of the 5,000
    s.fake.script.push(openaiText("Expensive.", { prompt_tokens: 4000, completion_tokens: 500 }));
    const first = await settled(s, await ask(s, "First"));
    expect(first).toMatchObject({ status: "succeeded", cost: { amountMicros: 4500 } });
    const before = s.fake.requests.length;
    const second = await settled(s, await ask(s, "Second"));
    expect(second).toMatchObject({ status: "failed", attempts: 1 });
    expect(second.error).toMatch(/budget .* exhausted/);
    expect(s.fake.requests.length).toBe(before);
  });
});

describe("the circuit breaker", () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({
      COREFLOW_LLM: "openai",
      OPENAI_BASE_URL: "{fake}/v1",
      OPENAI_API_KEY: "sk-test",
      AGENT_MAX_ATTEMPTS: "2",
      COREFLOW_LLM_BREAKER_THRESHOLD: "2",
      COREFLOW_LLM_BREAKER_COOLDOWN_MS: "1500",
      AGENT_BUSINESS_CONCURRENCY: "1",
    });
  });
  afterAll(() => teardown(s));

  it("opens after consecutive failures: the next call fails fast without reaching the provider, then a trial call closes it", async () => {
    s.fake.script.push({ status: 500, body: {} }, { status: 502, body: {} });
    const broken = await settled(s, await ask(s, "First"));
    expect(broken).toMatchObject({ status: "failed", attempts: 2 });
    expect(s.fake.requests).toHaveLength(2);

    const next = await settled(s, await ask(s, "Second"));
    expect(next).toMatchObject({ status: "succeeded", attempts: 2, result: { answer: "All fine." } });
    // the first attempt never reached the provider; the retry after the cooldown was the trial
    expect(s.fake.requests).toHaveLength(3);
    const audit = await s.api.get(`${s.base}/audit?limit=200`, { token: s.token });
    const retry = audit.body.data.find((e: { action: string; targetId: string }) => e.action === "agent_task.retry_scheduled" && e.targetId === next.id);
    expect(retry.changes.error).toMatch(/circuit is open/);
  });
});
