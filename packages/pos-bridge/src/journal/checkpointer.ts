// WAL checkpoints off the event loop. SQLite copies the WAL back into the database (a checkpoint) from
// whichever commit finds the WAL past `wal_autocheckpoint` pages (1000): on the bridge that was a sale's
// commit, on the event loop, every ~100 sales, holding every till for a thousand page writes and two fsyncs
// (the one-till p99 of issue 11: a 1000-page checkpoint took 4-18 ms on a shared machine). A second
// connection in a worker thread now runs PASSIVE checkpoints on a short timer: they copy what no reader
// needs without waiting for or blocking the bridge's writes, and the next commit that finds the WAL all
// copied starts it over. The threshold stays as the backstop (a dead or slow thread, raised by the journal):
// the commit that crosses it then finds most pages already copied.
//
// The thread runs plain JavaScript (no TypeScript loader per thread) and loads the same better-sqlite3 as
// the journal.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// As the journal's own connection: the WAL is synced before pages are copied, the database after.
db.pragma("synchronous = NORMAL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let timer;
let lastLog = -1;
function run() {
  let delay = workerData.intervalMs;
  try {
    // log: frames in the WAL; an empty or unchanged WAL means no sales: look again less often.
    const { log, checkpointed } = checkpoint.get();
    if (log === 0 || log === lastLog) delay = workerData.idleIntervalMs;
    lastLog = log;
    if (workerData.report) parentPort.postMessage({ log, checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
  timer = setTimeout(run, delay);
}
timer = setTimeout(run, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message !== "close") return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /**
   * Stops the thread; it closes its connection first. Resolves once the thread has exited: its connection's
   * close may checkpoint and remove the WAL, so whoever removes or copies the folder waits for this.
   */
  close(): Promise<void>;
}

/**
 * Starts checkpointing `file` (a WAL-mode SQLite database that exists) in a worker thread: every
 * `intervalMs` while commits arrive, every `idleIntervalMs` (default 500) while none do. `onError` hears a
 * failed checkpoint or a thread that died (the commits' own checkpoints carry on).
 */
export function startWalCheckpointer(
  file: string,
  options: {
    intervalMs: number;
    idleIntervalMs?: number;
    onError?: (message: string) => void;
    /** For tests: each checkpoint's WAL frames and how many of them are copied (one message each). */
    onCheckpoint?: (result: { log: number; checkpointed: number }) => void;
  },
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file,
      driver,
      intervalMs: options.intervalMs,
      idleIntervalMs: options.idleIntervalMs ?? 500,
      report: options.onCheckpoint !== undefined,
    },
    execArgv: [],
  });
  // The thread never keeps the process alive.
  worker.unref();
  worker.on("message", (message: { error?: string; log?: number; checkpointed?: number }) => {
    if (message.error !== undefined) options.onError?.(message.error);
    else if (message.log !== undefined && message.checkpointed !== undefined)
      options.onCheckpoint?.({ log: message.log, checkpointed: message.checkpointed });
  });
  worker.on("error", (error) => options.onError?.(String(error)));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let closed = false;
  return {
    close: () => {
      if (!closed) {
        closed = true;
        // Held open until the thread has gone: a process waiting on this alone must not find its loop empty
        // and end (Node's exit code 13, an unsettled await).
        worker.ref();
        worker.postMessage("close");
      }
      return exited;
    },
  };
}
