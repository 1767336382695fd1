import { closeSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { Worker } from "node:worker_threads";
import type { Logger } from "../../http/context.js";
import { Counter } from "../../platform/metrics.js";

const LOOK_EVERY_MS = 20;
const WAL_FRAME_HEADER = 24;
const header = Buffer.alloc(104);
const littleEndian = endianness() === "LE";

/**
 * The WAL's length and how much of it is checkpointed, from the header of its wal-index (the `-shm`
 * file; SQLite's documented format: mxFrame at byte 16, the page size at 14, nBackfill at 96 — native
 * byte order). Read without SQLite's locks, so a read that races a commit may be a frame or two stale:
 * good enough to decide when to checkpoint, which is all it is used for. Undefined when unreadable.
 *
 * Why not the `-wal` file's size (as before): that needs the file truncated at every restart
 * (journal_size_limit = 0), and appending into a freshly truncated file costs the kernel more than
 * rewriting one in place (4 KB frames, this machine: 7.8–9.8 µs against 5.4–7.3 µs); and a size past the
 * threshold asked for a checkpoint every LOOK_EVERY_MS until the log happened to start over — under a
 * payment load with a 4 MB threshold, 37 checkpoints (each with two fsyncs) per 5,000 payments; ~28
 * with the rule in `committed` (8 by awaiting frames alone, but then the log only started over when
 * SQLite's own checkpoint ran, on the event loop).
 */
function walState(file: string): { frames: number; checkpointed: number; pageSize: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`${file}-shm`, "r");
    if (readSync(fd, header, 0, header.length, 0) < header.length) return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const u32 = (at: number) => (littleEndian ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const size = littleEndian ? header.readUInt16LE(14) : header.readUInt16BE(14);
  return { frames: u32(16), checkpointed: u32(96), pageSize: size === 1 ? 65_536 : size };
}

export type CheckpointRequest = { kind: "checkpoint" | "close"; file: string } | { kind: "exit" };
export type CheckpointReply = { file: string; error?: string };

/**
 * WAL checkpoints of business databases on a worker thread. SQLite's automatic checkpoint runs inside
 * the COMMIT that crosses its threshold, on the event loop, and copies every page changed since the last
 * one into the database file (measured under a payment load: about half of all COMMIT time). Here a
 * commit only looks, now and then, at how many WAL frames await a checkpoint; past `thresholdBytes` the
 * worker checkpoints (PASSIVE: it never waits for or blocks the writer). The WAL starts over, in place,
 * at the first write after a checkpoint has caught up.
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
   * After a commit to `file`: a checkpoint is requested once the frames awaiting one pass the threshold,
   * or, when the log has grown to twice the threshold without starting over (a checkpoint that finished
   * while commits went on leaves a few frames behind), once any frame awaits one — so that the log
   * starts over before SQLite's own checkpoint at four times the threshold would run on the event loop.
   * Looked at no more than once per LOOK_EVERY_MS (the WAL grows by well under a megabyte in that time).
   */
  committed(file: string): void {
    if (this.stopped || this.inFlight.has(file)) return;
    const now = performance.now();
    if (now - (this.lastLook.get(file) ?? Number.NEGATIVE_INFINITY) < LOOK_EVERY_MS) return;
    this.lastLook.set(file, now);
    const wal = walState(file);
    if (!wal) return;
    const frame = wal.pageSize + WAL_FRAME_HEADER;
    const waiting = (wal.frames - wal.checkpointed) * frame;
    if (waiting < this.thresholdBytes && (wal.frames * frame < 2 * this.thresholdBytes || waiting === 0)) return;
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
