import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

export interface StartedServer {
  origin: string;
  dataDir: string;
  pid: number | undefined;
  env: Record<string, string>;
  logs: string[];
  /** SIGTERM, wait for a clean exit (SIGKILL after 15 s), remove the temporary DATA_DIR. */
  stop(): Promise<number | null>;
  /** Synchronous last resort for process exit: kill the child if it is still running. */
  killNow(): void;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/** A free TCP port on 127.0.0.1 (the OS picks it; the tiny race until the server binds it is acceptable here). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts the built server (dist/server.js) on 127.0.0.1 and a free port, with a fresh temporary
 * DATA_DIR. The general rate limit is off (the bench is the only client) and logs are at warn.
 */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<StartedServer> {
  const entry = resolve("dist/server.js");
  if (!existsSync(entry)) throw new Error("dist/server.js is missing: run `node scripts/build.mjs` first (npm run bench does)");
  const dataDir = mkdtempSync(join(tmpdir(), "coreflow-bench-"));
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    RATE_LIMIT_PER_SECOND: "0",
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const keep = (line: string) => {
    if (logs.length < 2000) logs.push(line);
  };
  createInterface({ input: child.stdout! }).on("line", keep);
  createInterface({ input: child.stderr! }).on("line", keep);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const origin = `http://127.0.0.1:${port}`;
  // at LOG_LEVEL=warn the server prints nothing when it is ready, so ask /health until it answers
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`the server exited with ${exitCode} before it was ready:\n${logs.join("\n")}`);
    }
    try {
      const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`the server did not answer /health within ${START_TIMEOUT_MS / 1000} s:\n${logs.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopped: Promise<number | null> | undefined;
  return {
    origin,
    dataDir,
    pid: child.pid,
    env,
    logs,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        const code = await exited;
        clearTimeout(timer);
        rmSync(dataDir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
    killNow() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
