import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { closedLoop } from "../lib/closed-loop.js";
import { clockTicks } from "../lib/environment.js";
import { ledgerConnections } from "../lib/ledger-writes.js";
import { processCpuSeconds } from "../lib/metrics.js";
import { FLOOR_SCENARIO, type Scenario, type ScenarioContext } from "../lib/scenario.js";

/** scripts/hello-server.mjs in a process of its own: its origin, pid and a stop. */
async function startHello(): Promise<{ origin: string; pid: number | undefined; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [resolve("scripts/hello-server.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const port = await new Promise<number>((done, fail) => {
    createInterface({ input: child.stdout! }).once("line", (line) => done((JSON.parse(line) as { port: number }).port));
    void exited.then(() => fail(new Error("the bare hello server exited before listening")));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A closed-loop load on the hello server, at the ledger scenarios' connections. */
const helloLoad = (ctx: ScenarioContext, origin: string, seconds: number) =>
  closedLoop({ origin, connections: ledgerConnections(ctx), seconds, warmupSeconds: 0, requests: [{ method: "GET", path: "/" }], signal: ctx.signal });

/**
 * What any request costs this machine before our code runs: a bare node:http server answering "hello"
 * in a process of its own, loaded like the payments and journal entries that follow it, its CPU per
 * answer read from /proc. The CPU figures of the other scenarios are reported as multiples of it
 * (`cpuTimesFloor`): across busy and quiet hours they spread less than microseconds do, though they
 * spread too (bench/README.md gives a day's figures). A fresh process answers its first thousands of
 * requests several times slower, so it is warmed up as the ledger scenarios are, outside the measurement.
 */
const floor: Scenario = {
  name: FLOOR_SCENARIO,
  title: "Machine floor (bare node:http hello)",
  description:
    "Closed-loop GET / on a bare node:http server answering \"hello\" (scripts/hello-server.mjs, its own process), at the ledger scenarios' connections, after a warm-up; its CPU per answer is the floor the payments' and journal entries' CPU is compared with.",
  writes: false,
  async run(ctx) {
    const hello = await startHello();
    try {
      await helloLoad(ctx, hello.origin, ctx.pick(5, 2));
      const ticks = clockTicks();
      const before = processCpuSeconds(hello.pid, ticks);
      const load = await helloLoad(ctx, hello.origin, ctx.settings.durationSeconds);
      const after = processCpuSeconds(hello.pid, ticks);
      const measured = before !== null && after !== null && load.ok > 0;
      return {
        load,
        ratioToHealth: null,
        throughputMeaning: "hellos/s",
        extra: { cpuMicrosPerRequest: measured ? Math.round(((after - before) / load.ok) * 1e7) / 10 : null },
        ...(measured ? {} : { notMeasured: { floor: "the bare server's CPU is read from /proc (Linux only)" } }),
      };
    } finally {
      await hello.stop();
    }
  },
};

export default floor;
