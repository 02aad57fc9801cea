// Durable SQLite commits without an fsync on the event loop (issue 11). With `synchronous = FULL`, SQLite
// fsyncs the WAL inside every COMMIT, and better-sqlite3 runs COMMIT on the event loop: ~10% of the gateway's
// time under ingest load was that fsync, during which no request could be parsed or validated. Instead the
// store runs `synchronous = NORMAL` (a commit only write()s its frames to the WAL; checkpoints still sync
// the WAL before copying it and the database after) and syncs the WAL itself, in libuv's thread pool:
// ObservedConnection (write-health.ts) awaits `durable()` after every statement that leaves the connection
// outside a transaction (a COMMIT, or a write on its own) before the result goes back to its caller, and
// Kysely's SQLite driver holds its one connection meanwhile. So every write still reaches its caller only
// once it is on disk, as with FULL, and nothing reads a commit before it is durable; but the event loop runs
// while the disk works, and commits made while one fsync runs share the next.
import { closeSync, fdatasync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

/** Flushes a file's data to disk (fdatasync by default). */
export type FlushFile = (fd: number) => Promise<void>;

export const fdatasyncFile: FlushFile = (fd) =>
  new Promise((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));

export class WalSync {
  /** Writes run so far, and how many of them the last finished flush covered. */
  private written = 0;
  private flushed = 0;
  private flushing: Promise<void> | undefined;
  /**
   * The first failed flush. Linux may drop the pages a failed write-back could not write and report the
   * next fdatasync as a success, and SQLite's recovery stops at the first WAL frame that did not reach the
   * disk, so no write after a failure is ever reported durable again in this process: every write that
   * needs a flush fails with this error (a store fault, write-health.ts) until the store is opened again,
   * which reads back only what the disk holds (docs/operations.md).
   */
  private failed: NodeJS.ErrnoException | undefined;
  private walFd: number | undefined;
  private closed = false;

  constructor(
    /** The database file; its WAL is `<file>-wal`. */
    private readonly file: string,
    private readonly flush: FlushFile = fdatasyncFile,
    /** Called after each flush that made commits durable (the checkpointer counts them). */
    private readonly onFlushed: () => void = () => {},
  ) {}

  /** Counts a statement about to run that may write (better-sqlite3's `statement.readonly` is false). */
  willWrite(): void {
    this.written += 1;
  }

  /** Whether a write ran that no finished flush covers yet. */
  owed(): boolean {
    return this.flushed < this.written;
  }

  /**
   * Resolves once every write counted before this call is on disk. One flush covers every write counted
   * before it began; writes counted while it runs share the next. Rejects when the flush fails: then nothing
   * written since the last good flush may be acted on, and from then on whenever any write is owed (`failed`).
   */
  durable(): Promise<void> {
    if (!this.owed()) return Promise.resolve();
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return this.flushUpTo(this.written);
  }

  private async flushUpTo(target: number): Promise<void> {
    while (this.flushed < target) {
      if (this.flushing === undefined) {
        const covers = this.written;
        this.flushing = this.flush(this.wal()).then(
          () => {
            this.flushed = Math.max(this.flushed, covers);
            this.flushing = undefined;
            this.onFlushed();
          },
          (error: unknown) => {
            this.flushing = undefined;
            const cause = error as NodeJS.ErrnoException;
            this.failed ??= Object.assign(
              new Error(
                `syncing the store's WAL failed (${cause.message}): nothing written since can be taken as durable; restart the gateway once the disk is sound`,
                { cause },
              ),
              { code: cause.code },
            );
            // The first commit it fails hears it too, so the store's one "failing" log line says what to do.
            throw this.failed;
          },
        );
      }
      await this.flushing;
    }
  }

  /**
   * The WAL file, opened once, after the first write made it. The first time, its folder is synced too, so
   * the WAL's directory entry survives a power cut (as SQLite does before it relies on a new journal).
   */
  private wal(): number {
    if (this.closed) throw new Error("the store is closed");
    if (this.walFd === undefined) {
      this.walFd = openSync(`${this.file}-wal`, "r+");
      if (process.platform !== "win32") {
        const dir = openSync(dirname(this.file), "r");
        try {
          fsyncSync(dir);
        } finally {
          closeSync(dir);
        }
      }
    }
    return this.walFd;
  }

  /** Closes the WAL file once a flush under way has finished (SQLite's own close syncs what is left). */
  close(): void {
    this.closed = true;
    const fd = this.walFd;
    this.walFd = undefined;
    if (fd === undefined) return;
    const closeWal = () => closeSync(fd);
    if (this.flushing === undefined) closeWal();
    else void this.flushing.then(closeWal, closeWal);
  }
}
