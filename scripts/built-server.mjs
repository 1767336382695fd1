// Starts the built server (dist/server.js) for the benchmark scripts, on a free loopback port.
import { spawn } from "node:child_process";
import { resolve } from "node:path";

/**
 * Resolves once the server logs "listening"; `stop()` sends SIGTERM and waits for the exit.
 * SERVER_NODE_ARGS (space-separated) go to the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
 */
export async function startBuiltServer(dataDir, env = {}) {
  const nodeArgs = (process.env.SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, resolve("dist/server.js")], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "info", RATE_LIMIT_PER_SECOND: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error("server did not start within 20 s"));
    }, 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening`));
    });
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        try {
          const entry = JSON.parse(line);
          if (entry.msg === "listening") {
            clearTimeout(timer);
            resolveUrl(entry.url);
          }
        } catch {}
      }
    });
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** `--name N` from the command line as a number, or the fallback. */
export function numberArg(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** A JSON call to the API under `url`; any status ≥ 300 throws with the answer. */
export function apiCaller(url) {
  return async function call(method, path, body, token) {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}
