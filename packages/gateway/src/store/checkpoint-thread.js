// The SQLite store's checkpoints, in a worker thread (store/checkpointer.ts starts it). Plain JavaScript, so
// that a thread started under tsx or vitest needs no TypeScript loader. It opens its own connection to the
// database file and, for each "checkpoint" message, runs a PASSIVE checkpoint (copies the WAL's committed
// pages into the database file and syncs both, without waiting for or blocking the gateway's writer), then
// answers with SQLite's counts.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
// NORMAL in WAL mode: a checkpoint syncs the WAL before it copies and the database file after.
db.pragma("synchronous = NORMAL");
// A checkpoint copies WAL frames to the database file without the page cache: keep it small (the default
// better-sqlite3 builds with is 16 MB per connection).
db.pragma("cache_size = -256");

parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({
      ok: true,
      busy: result.busy,
      log: result.log,
      checkpointed: result.checkpointed,
    });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error.message, code: error.code });
  }
});
