// SQLite checkpoints off the event loop (issue 11). In WAL mode the connection that commits also checkpoints
// when the WAL passes wal_autocheckpoint pages (1,000 by default): it copies those pages into the database
// file and syncs it, inside the COMMIT, on the event loop. Under ingest load that was most of what COMMIT
// still cost once its fsync had moved to the thread pool (wal-sync.ts), and each one stalled every request
// in flight. So the gateway's connection checkpoints only as a safety net (at 10,000 pages, should this
// thread fail or fall behind), and a worker thread with its own connection (checkpoint-thread.js) runs a
// PASSIVE checkpoint every `every` commits: it neither waits for nor blocks the writer, and the writer restarts
// the WAL from its beginning once a checkpoint has copied all of it.
import { EventEmitter, once } from "node:events";
import { Worker } from "node:worker_threads";

/** SQLite's answer to `wal_checkpoint`: pages in the WAL, and how many are now in the database file. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

type ThreadAnswer = ({ ok: true } & CheckpointResult) | { ok: false; message: string; code?: string };

/** The connection's own checkpoints: a safety net while the thread works; SQLite's default if it fails. */
export const SAFETY_NET_PAGES = 10_000;
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

export class Checkpointer extends EventEmitter<{ checkpoint: [CheckpointResult]; failed: [Error] }> {
  private worker: Worker | undefined;
  private running = false;
  private again = false;
  private commits = 0;
  private stopped = false;

  constructor(
    /** The database file. */
    private readonly path: string,
    /** Sets the gateway connection's wal_autocheckpoint (pages). */
    private readonly setAutocheckpoint: (pages: number) => void,
    /** Commits between checkpoints. */
    private readonly every = 32,
  ) {
    super();
    this.setAutocheckpoint(SAFETY_NET_PAGES);
  }

  /** Counts a durable commit; asks the thread for a checkpoint every `every` of them. */
  committed(): void {
    if (this.stopped) return;
    this.commits += 1;
    if (this.commits < this.every) return;
    this.commits = 0;
    this.request();
  }

  /** Asks for a checkpoint now (one at a time: a request made meanwhile runs when it ends). */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.thread().postMessage("checkpoint");
  }

  private thread(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(new URL("./checkpoint-thread.js", import.meta.url), {
      workerData: { path: this.path },
      // Plain JavaScript: none of the main thread's loaders (tsx) in the thread.
      execArgv: [],
      // It holds a connection and a few numbers: a small heap of its own, not the process's defaults.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
    });
    // The thread never keeps the process alive.
    worker.unref();
    worker.on("message", (answer: ThreadAnswer) => {
      this.running = false;
      if (answer.ok) {
        const { busy, log, checkpointed } = answer;
        this.emit("checkpoint", { busy, log, checkpointed });
      } else {
        // A failed checkpoint (a full disk, say) is tried again after the next `every` commits; the
        // store's write health reports the cause through the gateway's own writes.
        this.emit("failed", Object.assign(new Error(answer.message), { code: answer.code }));
      }
      if (this.again) {
        this.again = false;
        this.request();
      }
    });
    worker.on("error", (error) => this.giveUp(error));
    worker.on("exit", () => {
      if (!this.stopped) this.giveUp(new Error("the checkpoint thread stopped"));
    });
    this.worker = worker;
    return worker;
  }

  /** The thread is gone: the gateway's connection checkpoints by itself again, as SQLite does by default. */
  private giveUp(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker = undefined;
    this.running = false;
    this.setAutocheckpoint(DEFAULT_AUTOCHECKPOINT_PAGES);
    this.emit("failed", error);
  }

  /** Stops the thread once a checkpoint under way has finished. */
  async close(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    // Referenced again while it closes: awaiting the exit of an unreferenced thread would leave a
    // command's top-level await unsettled when nothing else keeps the process alive (exit code 13).
    worker.ref();
    const exited = once(worker, "exit");
    worker.postMessage("close");
    await exited;
  }
}
