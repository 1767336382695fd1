/**
 * Edges of the agents' action routes found by the outside audit: approve, reject and cancel take an
 * optional, strict body (none of them reads a field), so an unknown field is a 400 that changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { expectProblem } from "./support/problem.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

let server: RunningServer;
let api: Client;
let token: string;
let base: string;

beforeAll(async () => {
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0" } });
  api = client(server.url);
  token = (await registerUser(api, "Edges Owner")).token;
  base = `/businesses/${await createBusiness(api, token, "Edges Co")}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

/** Scores the given new leads: a task awaiting approval with one pending proposal per lead. */
async function awaiting(leadIds: string[]) {
  const started = await api.post(`${base}/agent-tasks`, { agent: "lead-scoring", input: { leadIds } }, { token });
  expect(started.status).toBe(202);
  const deadline = Date.now() + 15_000;
  let task = started.body;
  while (["queued", "running"].includes(task.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    task = (await api.get(`${base}/agent-tasks/${started.body.id}`, { token })).body;
  }
  expect(task.status).toBe("awaiting_approval");
  const proposals = (await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data as { id: string; targetId: string }[];
  expect(proposals).toHaveLength(leadIds.length);
  return { task: task.id as string, proposals: leadIds.map((id) => proposals.find((p) => p.targetId === id)!.id) };
}

async function newLead(title: string) {
  const res = await api.post(`${base}/leads`, { title, status: "new" }, { token });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("approve, reject and cancel take an optional, strict body", () => {
  it("declares the body as optional in OpenAPI", async () => {
    const doc = (await api.get("/openapi.json")).body;
    for (const path of ["/businesses/{businessId}/approvals/{approvalId}/approve", "/businesses/{businessId}/approvals/{approvalId}/reject", "/businesses/{businessId}/agent-tasks/{taskId}/cancel"]) {
      expect(doc.paths[path].post.requestBody, path).toMatchObject({ required: false, content: { "application/json": {} } });
    }
  });

  it("an unknown field is a 400 naming it, and the proposal and the task stay as they were", async () => {
    const leads = [await newLead("Strict one"), await newLead("Strict two")];
    const { task, proposals } = await awaiting(leads);
    const [first] = proposals;

    expectProblem(await api.post(`${base}/approvals/${first}/approve`, { note: "looks right" }, { token }), 400, "note");
    expectProblem(await api.post(`${base}/approvals/${first}/reject`, { reason: "no" }, { token }), 400, "reason");
    expectProblem(await api.post(`${base}/agent-tasks/${task}/cancel`, { force: true }, { token }), 400, "force");

    for (const id of proposals) expect((await api.get(`${base}/approvals/${id}`, { token })).body.status).toBe("pending");
    expect((await api.get(`${base}/agent-tasks/${task}`, { token })).body.status).toBe("awaiting_approval");
    expect((await api.get(`${base}/leads/${leads[0]}`, { token })).body.score).toBeNull();
    const audit = (await api.get(`${base}/audit?limit=200`, { token })).body.data as { action: string; targetId: string }[];
    const actions = audit.filter((e) => [task, ...proposals].includes(e.targetId)).map((e) => e.action);
    for (const action of ["agent_proposal.applied", "agent_proposal.rejected", "agent_task.cancelled"]) expect(actions).not.toContain(action);
  });

  it("no body and {} still approve, reject and cancel", async () => {
    const leads = [await newLead("Plain one"), await newLead("Plain two")];
    const first = await awaiting(leads);
    const approved = await api.post(`${base}/approvals/${first.proposals[0]}/approve`, undefined, { token });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.status).toBe("applied");
    const rejected = await api.post(`${base}/approvals/${first.proposals[1]}/reject`, {}, { token });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body.status).toBe("rejected");
    expect((await api.get(`${base}/agent-tasks/${first.task}`, { token })).body.status).toBe("succeeded");

    // the second lead's score was rejected, so it is proposed again each time
    for (const body of [{}, undefined]) {
      const next = await awaiting([leads[1]!]);
      const cancelled = await api.post(`${base}/agent-tasks/${next.task}/cancel`, body, { token });
      expect(cancelled.status, cancelled.text).toBe(200);
      expect(cancelled.body.status).toBe("cancelled");
    }
  });
});
