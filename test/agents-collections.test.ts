/**
 * The collections agent against the real server and a local SMTP server: overdue invoices → one
 * reminder per customer as a proposal; approved → an email activity on the customer and a message
 * delivered by SMTP (retried after a temporary refusal); nothing is sent without approval.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, client, createBusiness, registerUser } from "./support/api.js";
import { type RunningServer, removeDataDir, startServer } from "./support/server.js";

interface Mail {
  from: string;
  to: string;
  data: string;
  auth: string | undefined;
}

/** A fake SMTP server on 127.0.0.1; `refuseNext` makes the next RCPT answer 451 (try later). */
async function startSmtp() {
  const mails: Mail[] = [];
  const state = { refuseNext: 0, connections: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    state.connections += 1;
    let buffer = "";
    let inData = false;
    const mail: Partial<Mail> = {};
    socket.write("220 fake smtp\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          mail.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          mails.push(mail as Mail);
          socket.write("250 queued\r\n");
          continue;
        }
        const nl = buffer.indexOf("\r\n");
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        if (line.startsWith("EHLO")) socket.write("250-fake\r\n250 AUTH PLAIN\r\n");
        else if (line.startsWith("AUTH PLAIN ")) {
          mail.auth = Buffer.from(line.slice(11), "base64").toString("utf8");
          socket.write("235 ok\r\n");
        } else if (line.startsWith("MAIL FROM:")) {
          mail.from = line.slice(10);
          socket.write("250 ok\r\n");
        } else if (line.startsWith("RCPT TO:")) {
          mail.to = line.slice(8);
          if (state.refuseNext > 0) {
            state.refuseNext -= 1;
            socket.write("451 try again later\r\n");
          } else socket.write("250 ok\r\n");
        } else if (line === "DATA") {
          inData = true;
          socket.write("354 go ahead\r\n");
        } else if (line === "QUIT") {
          socket.end("221 bye\r\n");
          return;
        } else socket.write("500 what\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    mails,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

let smtp: Awaited<ReturnType<typeof startSmtp>>;
let server: RunningServer;
let api: Client;
let token: string;
let base: string;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ env: { RATE_LIMIT_PER_SECOND: "0", SMTP_URL: `smtp://agent:s%40cret@127.0.0.1:${smtp.port}`, SMTP_FROM: "billing@example.com", AGENT_RETRY_BASE_MS: "50", AGENT_RETRY_MAX_MS: "100" } });
  api = client(server.url);
  token = (await registerUser(api, "Collector")).token;
  base = `/businesses/${await createBusiness(api, token, "Collecting Co")}`;
});
afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
  await smtp?.close();
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function overdueInvoice(customerId: string, dueDaysAgo: number, unitPrice: number) {
  const created = await api.post(
    `${base}/invoices`,
    { customerId, currency: "USD", issueDate: day(-dueDaysAgo - 30), dueDate: day(-dueDaysAgo), lines: [{ description: "Services", quantity: "1", unitPrice, taxRate: "0" }] },
    { token },
  );
  expect(created.status, created.text).toBe(201);
  const issued = await api.post(`${base}/invoices/${created.body.id}/issue`, {}, { token });
  expect(issued.status, issued.text).toBe(200);
  return issued.body as { id: string; number: string };
}

async function settled(id: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const task = (await api.get(`${base}/agent-tasks/${id}`, { token })).body;
    if (!["queued", "running"].includes(task.status) || Date.now() > deadline) return task;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("collections", () => {
  it("drafts one reminder per customer, sends it only once approved, records it, and retries a temporary SMTP refusal", async () => {
    const late = await api.post(`${base}/companies`, { name: "Late Payer" }, { token });
    await api.post(`${base}/contacts`, { firstName: "Pat", lastName: "Payable", email: "pat@late.example", companyId: late.body.id }, { token });
    const silent = await api.post(`${base}/companies`, { name: "No Email Ltd" }, { token });
    const onTime = await api.post(`${base}/companies`, { name: "Not Yet Due" }, { token });
    const a = await overdueInvoice(late.body.id, 20, 150_000);
    const b = await overdueInvoice(late.body.id, 5, 25_050);
    await overdueInvoice(silent.body.id, 60, 10_000);
    await overdueInvoice(onTime.body.id, -10, 10_000); // due in 10 days

    const task = await settled((await api.post(`${base}/agent-tasks`, { agent: "collections" }, { token })).body.id);
    expect(task.status).toBe("awaiting_approval");
    expect(task.result).toMatchObject({
      overdueInvoices: 3,
      reminders: [{ customerId: late.body.id, customerName: "Late Payer", to: "pat@late.example", tone: "firm", daysOverdue: 20, invoiceIds: [a.id, b.id] }],
      withoutEmail: [{ customerId: silent.body.id, customerName: "No Email Ltd" }],
    });
    const [proposal] = (await api.get(`${base}/approvals?taskId=${task.id}`, { token })).body.data;
    expect(proposal).toMatchObject({ kind: "collections.reminder", targetType: "company", targetId: late.body.id, status: "pending" });
    expect(proposal.payload.subject).toBe("Overdue invoices: 1750.50 USD");
    expect(proposal.payload.body).toContain(`- ${a.number}: 1500.00 USD, due ${day(-20)} (20 days ago)`);
    expect(proposal.payload.body).toContain("Collecting Co");
    expect(smtp.mails).toHaveLength(0);

    // a second run while the reminder awaits a decision drafts nothing new for that customer
    const again = await settled((await api.post(`${base}/agent-tasks`, { agent: "collections" }, { token })).body.id);
    expect(again).toMatchObject({ status: "succeeded", result: { reminders: [], alreadyProposed: [late.body.id] } });

    smtp.state.refuseNext = 1;
    const approved = await api.post(`${base}/approvals/${proposal.id}/approve`, undefined, { token });
    expect(approved.status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (smtp.mails.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.from).toBe("<billing@example.com>");
    expect(mail.to).toBe("<pat@late.example>");
    expect(mail.auth).toBe("\0agent\0s@cret");
    expect(mail.data).toContain("Subject: Overdue invoices: 1750.50 USD");
    expect(mail.data).toContain(`- ${b.number}: 250.50 USD`);
    expect(smtp.state.connections).toBe(2); // the first attempt was refused with 451

    const activities = await api.get(`${base}/activities?companyId=${late.body.id}`, { token });
    expect(activities.body.data).toEqual([expect.objectContaining({ type: "email", subject: "Overdue invoices: 1750.50 USD", done: true })]);
    const audit = (await api.get(`${base}/audit?limit=200`, { token })).body.data.map((e: { action: string }) => e.action);
    expect(audit).toContain("agent_outbox.queued");
    expect(audit).toContain("agent_outbox.retry_scheduled");
    expect(audit.filter((x: string) => x === "agent_outbox.sent")).toHaveLength(1);
    expect((await api.get(`${base}/agent-tasks/${task.id}`, { token })).body.status).toBe("succeeded");
  });

  it("reminders are never auto-applied: the policy allows no automatic kinds", async () => {
    const agent = await api.get(`${base}/agents/collections`, { token });
    expect(agent.body.policy).toEqual({ files: ["collections.reminder"], autoApply: [] });
  });
});
