import { connect, type Socket } from "node:net";
import type { MailMessage, MailTransport } from "../../agents/mail.js";

/**
 * A small SMTP client (RFC 5321) for the agents' outbox: `smtp://[user:pass@]host:port`; AUTH PLAIN when
 * credentials are given. No TLS (a local relay or a submission proxy is expected); 30 s per exchange.
 */
export function smtpTransport(url: string, from: string): MailTransport {
  const target = new URL(url);
  if (target.protocol !== "smtp:") throw new Error("SMTP_URL must be smtp://[user:pass@]host:port");
  const host = target.hostname;
  const port = Number(target.port || 25);
  const user = decodeURIComponent(target.username);
  const pass = decodeURIComponent(target.password);
  return {
    async send(message: MailMessage) {
      const session = await open(host, port);
      try {
        await session.expect(220);
        await session.command("EHLO coreflow360", 250);
        if (user) await session.command(`AUTH PLAIN ${Buffer.from(`\0${user}\0${pass}`).toString("base64")}`, 235);
        await session.command(`MAIL FROM:<${from}>`, 250);
        await session.command(`RCPT TO:<${message.to}>`, 250);
        await session.command("DATA", 354);
        const headers = [
          `From: <${from}>`,
          `To: <${message.to}>`,
          `Subject: ${message.subject.replace(/[\r\n]+/g, " ")}`,
          `Date: ${new Date().toUTCString()}`,
          "MIME-Version: 1.0",
          "Content-Type: text/plain; charset=utf-8",
          "Content-Transfer-Encoding: 8bit",
        ];
        // dot-stuffing: a line starting with "." gets another
        const body = message.body.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
        await session.command(`${headers.join("\r\n")}\r\n\r\n${body}\r\n.`, 250);
        await session.command("QUIT", 221).catch(() => undefined);
      } finally {
        session.close();
      }
    },
  };
}

interface Session {
  expect(code: number): Promise<string>;
  command(line: string, code: number): Promise<string>;
  close(): void;
}

function open(host: string, port: number): Promise<Session> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    socket.setTimeout(30_000, () => socket.destroy(new Error("the mail server did not answer in time")));
    let buffer = "";
    let waiting: { resolve: (reply: string) => void; reject: (e: Error) => void } | undefined;
    let failure: Error | undefined;
    const deliver = () => {
      // a complete reply ends with a line "NNN text" (continuation lines are "NNN-text")
      const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n$/.exec(buffer);
      if (match && waiting) {
        const reply = buffer;
        buffer = "";
        const w = waiting;
        waiting = undefined;
        w.resolve(reply);
      }
    };
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      deliver();
    });
    socket.on("error", (error) => {
      failure = error;
      waiting?.reject(error);
      reject(error);
    });
    socket.on("close", () => {
      failure ??= new Error("the mail server closed the connection");
      waiting?.reject(failure);
    });
    socket.on("connect", () => {
      const read = () =>
        new Promise<string>((res, rej) => {
          if (failure) return rej(failure);
          waiting = { resolve: res, reject: rej };
          deliver();
        });
      const check = async (code: number) => {
        const reply = await read();
        const last = reply.trimEnd().split("\r\n").at(-1) ?? "";
        if (Number(last.slice(0, 3)) !== code) throw new Error(`the mail server answered ${last}`);
        return reply;
      };
      resolve({
        expect: check,
        async command(line, code) {
          socket.write(`${line}\r\n`);
          return check(code);
        },
        close: () => socket.destroy(),
      });
    });
  });
}
