import { statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Logger } from "../../http/context.js";
import { Counter } from "../../platform/metrics.js";

const LOOK_EVERY_MS = 20;

export type CheckpointRequest = { kind: "checkpoint" | "close"; file: string } | { kind: "exit" };
export type CheckpointReply = { file: string; error?: string };

/**
 * WAL checkpoints of business databases on a worker thread. SQLite's automatic checkpoint runs inside
 * the COMMIT that crosses its threshold, on the event loop, and copies every page changed since the last
 * one into the database file (measured under a payment load: about half of all COMMIT time). Here each
 * commit only checks the WAL's size; past `thresholdBytes` the worker checkpoints (PASSIVE: it never
 * waits for or blocks the writer) and the next write transaction starts the WAL over.
 *
 * A checkpoint is crash-safe in SQLite's design: a kill -9 during one loses nothing committed. Should
 * the worker fail, SQLite's own checkpoint is still set on each connection at four times the threshold.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  /** Files with a checkpoint requested and not yet answered. */
  private readonly inFlight = new Set<string>();
  /** When each file's WAL size was last looked at (performance.now()). */
  private readonly lastLook = new Map<string, number>();
  readonly checkpoints = new Counter("coreflow_db_wal_checkpoints_total", "WAL checkpoints done by the checkpoint thread.");
  private stopped = false;
  /** Settles when the worker has exited, for whatever reason (stop, a crash). */
  private readonly exited: Promise<void>;

  constructor(
    readonly thresholdBytes: number,
    private readonly logger: Logger,
  ) {
    this.worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url));
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.on("message", (reply: CheckpointReply) => {
      this.inFlight.delete(reply.file);
      if (reply.error) {
        this.logger.warn({ file: reply.file, err: reply.error }, "WAL checkpoint failed; SQLite's own checkpoint remains");
        return;
      }
      this.checkpoints.inc({});
    });
    this.worker.on("error", (error) => this.logger.error({ err: error.message }, "the checkpoint thread failed; SQLite's own checkpoint remains"));
  }

  /**
   * After a commit to `file`: a checkpoint is requested once its WAL has grown past the threshold. The
   * size is looked at no more than once per LOOK_EVERY_MS: under the payment load a stat of the path after
   * every commit (~35 µs each on these machines) was 0.75 % of the server's CPU samples, 0.36 % with
   * this limit (perf), and the WAL grows by well under a megabyte in that time even at full speed.
   */
  committed(file: string): void {
    if (this.stopped || this.inFlight.has(file)) return;
    const now = performance.now();
    if (now - (this.lastLook.get(file) ?? Number.NEGATIVE_INFINITY) < LOOK_EVERY_MS) return;
    this.lastLook.set(file, now);
    let size: number;
    try {
      size = statSync(`${file}-wal`).size;
    } catch {
      return;
    }
    if (size < this.thresholdBytes) return;
    this.inFlight.add(file);
    this.post({ kind: "checkpoint", file });
  }

  /** The server closed `file`: the worker closes its connection too. */
  closed(file: string): void {
    this.inFlight.delete(file);
    this.lastLook.delete(file);
    this.post({ kind: "close", file });
  }

  /** After the server closed its databases: the worker closes its own, then exits (or is ended after `limitMs`). */
  async stop(limitMs = 5_000): Promise<void> {
    if (this.stopped) return;
    this.worker.postMessage({ kind: "exit" } satisfies CheckpointRequest);
    this.stopped = true;
    const limit = setTimeout(() => void this.worker.terminate(), limitMs);
    await this.exited;
    clearTimeout(limit);
  }

  private post(request: CheckpointRequest): void {
    if (!this.stopped) this.worker.postMessage(request);
  }
}
