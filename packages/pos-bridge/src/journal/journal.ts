// The bridge's journal: every sale is written here (SQLite, WAL) before anything goes upstream, so a crash
// or an outage can never lose a sale, and USIN is unique per POSID so a sale is never uploaded twice.
// All journal SQL lives in this file.
import { createHash } from "node:crypto";
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { nextStepAfterCrash } from "@raseed/sdk";
import Database from "better-sqlite3";
import { startWalCheckpointer, type WalCheckpointer } from "./checkpointer.ts";

/**
 * Where a sale stands.
 * - pending: waiting for its (next) upload, due at `nextAttemptAt`.
 * - uploading: a request may be on the wire now. Found at start-up it means the bridge died mid-upload, so
 *   it becomes in_doubt (ARCHITECTURE.md outcome table: never blindly re-uploaded).
 * - accepted / rejected: final answers from FBR.
 * - in_doubt: FBR may or may not have it; `raseed pos-bridge reconcile` settles it.
 * - held: FBR refused the till's credentials; resumes (back to pending) when the bridge restarts with new ones.
 */
export type SaleState = "pending" | "uploading" | "accepted" | "rejected" | "in_doubt" | "held";

export const UNSETTLED_STATES: readonly SaleState[] = ["pending", "uploading", "in_doubt", "held"];

export interface RejectionProblem {
  Code: string;
  Field: string;
  Path: string;
  Item: number | null;
  Message: string;
}

export interface JournaledSale {
  id: number;
  posId: number;
  usin: string;
  /** The exact JSON uploaded (and re-uploaded) for this sale. */
  payload: string;
  payloadHash: string;
  state: SaleState;
  fbrInvoiceNumber: string | null;
  /** The till was answered with the provisional reply. */
  provisional: boolean;
  attempts: number;
  nextAttemptAt: number;
  lastOutcome: string | null;
  lastReason: string | null;
  /** FBR's code and problems when rejected. */
  rejectionCode: string | null;
  rejectionMessage: string | null;
  rejectionProblems: RejectionProblem[] | null;
  receivedAt: number;
  settledAt: number | null;
}

interface SaleRow {
  id: number;
  pos_id: number;
  usin: string;
  payload: string;
  payload_hash: string;
  state: SaleState;
  fbr_invoice_number: string | null;
  provisional: number;
  attempts: number;
  next_attempt_at: number;
  last_outcome: string | null;
  last_reason: string | null;
  rejection_code: string | null;
  rejection_message: string | null;
  rejection_problems: string | null;
  received_at: number;
  settled_at: number | null;
}

function toSale(row: SaleRow): JournaledSale {
  return {
    id: row.id,
    posId: row.pos_id,
    usin: row.usin,
    payload: row.payload,
    payloadHash: row.payload_hash,
    state: row.state,
    fbrInvoiceNumber: row.fbr_invoice_number,
    provisional: row.provisional === 1,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastOutcome: row.last_outcome,
    lastReason: row.last_reason,
    rejectionCode: row.rejection_code,
    rejectionMessage: row.rejection_message,
    rejectionProblems:
      row.rejection_problems === null ? null : (JSON.parse(row.rejection_problems) as RejectionProblem[]),
    receivedAt: row.received_at,
    settledAt: row.settled_at,
  };
}

export interface UploadAttemptRecord {
  outcome: string;
  httpStatus?: number | undefined;
  /** FBR's answer, already passed through the sdk's redaction. */
  responseBody?: string | undefined;
  reason?: string | undefined;
  durationMs?: number | undefined;
}

export interface BacklogStats {
  byState: Record<SaleState, number>;
  /**
   * receivedAt of the oldest sale still on its way to FBR (pending, uploading, held). In-doubt sales are
   * counted apart: they wait for a person, and a backlog that counted them would never return to zero
   * after a crash.
   */
  oldestUnsettledAt: number | null;
  /** receivedAt of the oldest sale in doubt (a person must reconcile it), or null with none. */
  oldestInDoubtAt: number | null;
  provisionalTotal: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sales (
  id                  INTEGER PRIMARY KEY,
  pos_id              INTEGER NOT NULL,
  usin                TEXT    NOT NULL,
  payload             TEXT    NOT NULL,
  payload_hash        TEXT    NOT NULL,
  state               TEXT    NOT NULL,
  fbr_invoice_number  TEXT,
  provisional         INTEGER NOT NULL DEFAULT 0,
  attempts            INTEGER NOT NULL DEFAULT 0,
  next_attempt_at     INTEGER NOT NULL,
  last_outcome        TEXT,
  last_reason         TEXT,
  rejection_code      TEXT,
  rejection_message   TEXT,
  rejection_problems  TEXT,
  received_at         INTEGER NOT NULL,
  settled_at          INTEGER,
  UNIQUE (pos_id, usin)
);
CREATE INDEX IF NOT EXISTS sales_due ON sales (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS upload_attempts (
  id             INTEGER PRIMARY KEY,
  sale_id        INTEGER NOT NULL REFERENCES sales (id),
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  outcome        TEXT,
  http_status    INTEGER,
  duration_ms    INTEGER,
  reason         TEXT,
  response_body  TEXT
);
CREATE INDEX IF NOT EXISTS upload_attempts_sale ON upload_attempts (sale_id);
CREATE TABLE IF NOT EXISTS journal_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
`;

/** The stored attempt body is the JSON text of FBR's answer text; its InvoiceNumber when Code is 100. */
function fiscalNumberInResponse(stored: string | null): string | null {
  if (stored === null) return null;
  try {
    let value: unknown = JSON.parse(stored);
    if (typeof value === "string") value = JSON.parse(value);
    if (value === null || typeof value !== "object") return null;
    const answer = value as { Code?: unknown; InvoiceNumber?: unknown };
    const number = answer.InvoiceNumber;
    return String(answer.Code) === "100" &&
      typeof number === "string" &&
      number !== "" &&
      number !== "Not Available"
      ? number
      : null;
  } catch {
    return null;
  }
}

export function hashPayload(payload: string): string {
  return createHash("sha256").update(payload).digest("hex");
}

/** Flushes a file to disk: node's fdatasync (libuv's thread pool) by default; tests pass their own. */
export type FsyncFile = (fd: number) => Promise<void>;

const fdatasyncFile: FsyncFile = (fd) =>
  new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));

export interface SaleJournalOptions {
  /**
   * "full" (default): every write is on disk before anyone acts on it, so a sale and its "uploading" mark
   * survive a power cut, which shops have. "normal" survives a killed process but not a power cut; for tests
   * and benchmarks only.
   */
  sync?: "full" | "normal";
  /**
   * Group commit for a running bridge (with sync "full"): commits only write SQLite's WAL, and `durable()`
   * fsyncs the WAL off the event loop, once for every commit made before the fsync began, so concurrent sales
   * share one fsync. Callers must await `durable()` before acting on a write (answering the till, uploading).
   * Without it (the CLI's `status`/`reconcile`), every commit is fsynced before it returns.
   */
  groupFsync?: boolean;
  /** Replaces the WAL flush (tests count and hold fsyncs with it). */
  fsync?: FsyncFile;
  /**
   * A running bridge: WAL checkpoints run in a worker thread every so many ms (checkpointer.ts) instead of
   * on a sale's commit. `onError` hears a checkpoint that failed (the commits' own checkpoints carry on).
   */
  backgroundCheckpoints?: Parameters<typeof startWalCheckpointer>[1];
}

export class SaleJournal {
  readonly #db: Database.Database;
  readonly #fullSync: boolean;
  /** Grouped fsync: commits write the WAL only, `durable()` flushes it. */
  readonly #grouped: boolean;
  readonly #fsync: FsyncFile;
  readonly #statements = new Map<string, Database.Statement>();
  /** Commits made so far (grouped mode), and how many of them the last finished fsync covered. */
  #commits = 0;
  #synced = 0;
  #flushing: Promise<void> | undefined;
  #walFd: number | undefined;
  #checkpointer: WalCheckpointer | undefined;
  /** Grouped, with the real flush: when this says the caller is alone, `durable()` flushes inline. */
  #flushInlineWhen: (() => boolean) | undefined;
  readonly #realFsync: boolean;
  /** Set by close(): the journal is closed (or closing) from then on. */
  #closing: Promise<void> | undefined;
  /** The first failed flush (see durable()). */
  #failed: Error | undefined;

  constructor(
    readonly file: string,
    options: SaleJournalOptions = {},
  ) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma("journal_mode = WAL");
    this.#fullSync = options.sync !== "normal";
    this.#grouped = this.#fullSync && options.groupFsync === true && file !== ":memory:";
    this.#fsync = options.fsync ?? fdatasyncFile;
    this.#realFsync = options.fsync === undefined;
    // Grouped: SQLite's NORMAL in WAL mode writes each commit to the WAL without syncing it (checkpoints
    // still sync the WAL before copying it and the database after); `durable()` syncs the WAL itself.
    this.#db.pragma(`synchronous = ${this.#fullSync && !this.#grouped ? "FULL" : "NORMAL"}`);
    this.#db.pragma("busy_timeout = 5000");
    this.#db.exec(SCHEMA);
    if (options.backgroundCheckpoints !== undefined && file !== ":memory:") {
      // The commits' own checkpoint stays as a backstop, later (16 MB of WAL instead of 4), so the thread's
      // passive checkpoints get to copy everything first: the WAL starts over only from a commit that finds
      // it all copied, which a commit made during the thread's checkpoint does not.
      this.#db.pragma("wal_autocheckpoint = 4000");
      this.#checkpointer = startWalCheckpointer(file, options.backgroundCheckpoints);
    }
  }

  /**
   * One prepared statement per SQL text, kept for the connection's life. Every statement is fetched here
   * just before it runs, so a write fetched here counts as a commit that `durable()` must cover.
   */
  #sql(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    // `readonly`, not `reader`: an INSERT ... RETURNING returns rows and writes.
    if (!statement.readonly) this.#commits += 1;
    return statement;
  }

  /**
   * Resolves once every write committed before this call is on disk. Concurrent callers share fsyncs: one
   * fsync covers every commit made before it began, and the writes that arrive while it runs are covered by
   * the next one. Immediate when nothing is owed (and always without grouped fsync, where each commit
   * synced itself). Rejects if the flush fails: then nothing written since the last good flush may be acted on,
   * and from then on whenever a write is owed. Linux may drop the pages a failed write-back could not write
   * and report the next fsync as a success, and SQLite's recovery stops at the first WAL frame that never
   * reached the disk: a sale answered after such a success could vanish at the next power cut. So the first
   * failure sticks until the journal is opened again (a restart), which reads back what the disk holds.
   */
  durable(): Promise<void> {
    if (!this.#grouped || this.#synced >= this.#commits) return Promise.resolve();
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.#flushing === undefined && this.#realFsync && this.#flushInlineWhen?.() === true) {
      const covers = this.#commits;
      try {
        fdatasyncSync(this.#wal());
      } catch (error) {
        return Promise.reject(this.#flushFailed(error));
      }
      this.#synced = Math.max(this.#synced, covers);
      return Promise.resolve();
    }
    return this.#flushUpTo(this.#commits);
  }

  /**
   * Lets `durable()` flush on the calling thread when `alone()` says no other sale or upload is under way:
   * nothing could use the event loop during that fsync, and the trip through libuv's thread pool (waking a
   * pool thread, then the event loop again) costs more than the fsync itself on a shared machine. With
   * company, the flush goes to the pool as before so concurrent sales share it.
   */
  flushInlineWhen(alone: () => boolean): void {
    this.#flushInlineWhen = alone;
  }

  async #flushUpTo(target: number): Promise<void> {
    while (this.#synced < target) {
      if (this.#flushing === undefined) {
        const covers = this.#commits;
        this.#flushing = this.#fsync(this.#wal()).then(
          () => {
            this.#synced = Math.max(this.#synced, covers);
            this.#flushing = undefined;
          },
          (error: unknown) => {
            this.#flushing = undefined;
            throw this.#flushFailed(error);
          },
        );
      }
      await this.#flushing;
    }
  }

  /** Remembers the first failed flush (see durable()) and answers the error every caller hears from now on. */
  #flushFailed(error: unknown): Error {
    const cause = error as NodeJS.ErrnoException;
    this.#failed ??= Object.assign(
      new Error(
        `syncing the journal's WAL failed (${cause.message}): no sale written since can be taken as durable; restart pos-bridge once the disk is sound`,
        { cause },
      ),
      { code: cause.code },
    );
    return this.#failed;
  }

  /**
   * The WAL file, opened once. The first time, the folder is synced too, so the WAL's own directory entry
   * survives a power cut (SQLite does the same before it relies on a new journal file).
   */
  #wal(): number {
    if (this.#closing !== undefined) throw new Error("the journal is closed");
    if (this.#walFd === undefined) {
      this.#walFd = openSync(`${this.file}-wal`, "r+");
      if (process.platform !== "win32") {
        const dir = openSync(dirname(this.file), "r");
        try {
          fsyncSync(dir);
        } finally {
          closeSync(dir);
        }
      }
    }
    return this.#walFd;
  }

  /**
   * Closes the journal; the promise resolves when nothing of it touches the folder any more. Without a
   * checkpoint thread the connection is closed before this returns. With one, the thread's connection closes
   * first, so the journal's own is the last: SQLite's close then checkpoints, syncs and removes the WAL (two
   * connections closing together could each leave that to the other, and a thread's close still under way
   * raced whoever removed the folder: a CI flake). The WAL file is closed once a flush under way finishes.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #close(): Promise<void> {
    const finish = () => {
      const fd = this.#walFd;
      this.#walFd = undefined;
      let walClosed: Promise<void> | undefined;
      if (fd !== undefined) {
        const closeWal = () => closeSync(fd);
        if (this.#flushing === undefined) closeWal();
        else walClosed = this.#flushing.then(closeWal, closeWal);
      }
      this.#db.close();
      return walClosed ?? Promise.resolve();
    };
    return this.#checkpointer === undefined ? finish() : this.#checkpointer.close().then(finish);
  }

  /**
   * Ties the journal to one FBR environment the first time a bridge opens it, and returns the environment it
   * belongs to. A sandbox sale still pending must never be uploaded to production (nor a production sale to
   * the sandbox) because the operator changed `--env` on the same data folder.
   */
  bindEnvironment(environment: string): string {
    this.#sql("INSERT OR IGNORE INTO journal_meta (key, value) VALUES ('environment', ?)").run(environment);
    const row = this.#sql("SELECT value FROM journal_meta WHERE key = 'environment'").get() as {
      value: string;
    };
    return row.value;
  }

  /**
   * Runs a write without its own fsync (the next synced commit carries it to disk). Only for writes whose
   * loss in a power cut is harmless (the provisional flag); never for a settle the till prints from.
   */
  #withoutOwnFsync<T>(write: () => T): T {
    if (!this.#fullSync || this.#grouped) return write();
    this.#db.pragma("synchronous = NORMAL");
    try {
      return write();
    } finally {
      this.#db.pragma("synchronous = FULL");
    }
  }

  /**
   * Records a sale and, when it is new and `claim` is set, claims it for upload in the same transaction
   * (one fsync on the till's path instead of two): a new sale is inserted already "uploading", with its
   * attempt opened, as `claimForUpload` would leave it. A repeated USIN is returned as journaled.
   */
  recordAndClaim(
    posId: number,
    usin: string,
    payload: string,
    now: number,
    claim: boolean,
  ): { sale: JournaledSale; created: boolean; attemptId?: number } {
    return this.#db.transaction(() => {
      const inserted = this.#sql(
        `INSERT INTO sales (pos_id, usin, payload, payload_hash, state, attempts, next_attempt_at, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pos_id, usin) DO NOTHING RETURNING *`,
      ).get(
        posId,
        usin,
        payload,
        hashPayload(payload),
        claim ? "uploading" : "pending",
        claim ? 1 : 0,
        now,
        now,
      ) as SaleRow | undefined;
      if (inserted === undefined) {
        const sale = this.findSale(posId, usin);
        if (sale === undefined) throw new Error(`journal lost the sale ${posId}/${usin} it just wrote`);
        return { sale, created: false };
      }
      const sale = toSale(inserted);
      if (!claim) return { sale, created: true };
      const attempt = this.#sql("INSERT INTO upload_attempts (sale_id, started_at) VALUES (?, ?)").run(
        sale.id,
        now,
      );
      return { sale, created: true, attemptId: Number(attempt.lastInsertRowid) };
    })();
  }

  /**
   * Records a sale unless this POSID already has one with the USIN. Returns the journaled sale and whether
   * it is new: a repeated USIN is the same sale (the POS retrying), never a second upload.
   */
  recordSale(
    posId: number,
    usin: string,
    payload: string,
    now: number,
  ): { sale: JournaledSale; created: boolean } {
    const insert = this.#sql(
      `INSERT INTO sales (pos_id, usin, payload, payload_hash, state, next_attempt_at, received_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (pos_id, usin) DO NOTHING`,
    );
    const info = insert.run(posId, usin, payload, hashPayload(payload), now, now);
    const sale = this.findSale(posId, usin);
    if (sale === undefined) throw new Error(`journal lost the sale ${posId}/${usin} it just wrote`);
    return { sale, created: info.changes === 1 };
  }

  findSale(posId: number, usin: string): JournaledSale | undefined {
    const row = this.#sql("SELECT * FROM sales WHERE pos_id = ? AND usin = ?").get(posId, usin) as
      | SaleRow
      | undefined;
    return row === undefined ? undefined : toSale(row);
  }

  findSalesByUsin(usin: string): JournaledSale[] {
    const rows = this.#sql("SELECT * FROM sales WHERE usin = ? ORDER BY id").all(usin) as SaleRow[];
    return rows.map(toSale);
  }

  getSale(id: number): JournaledSale | undefined {
    const row = this.#sql("SELECT * FROM sales WHERE id = ?").get(id) as SaleRow | undefined;
    return row === undefined ? undefined : toSale(row);
  }

  markProvisional(id: number): void {
    this.#withoutOwnFsync(() => this.#sql("UPDATE sales SET provisional = 1 WHERE id = ?").run(id));
  }

  /**
   * Moves a pending sale to uploading and opens an attempt row, in one transaction, before the request is
   * written. Returns the attempt id, or undefined if the sale was not pending (someone else has it).
   */
  claimForUpload(id: number, now: number): number | undefined {
    return this.#db.transaction((): number | undefined => {
      const claimed = this.#sql(
        "UPDATE sales SET state = 'uploading', attempts = attempts + 1 WHERE id = ? AND state = 'pending'",
      ).run(id);
      if (claimed.changes !== 1) return undefined;
      const attempt = this.#sql("INSERT INTO upload_attempts (sale_id, started_at) VALUES (?, ?)").run(
        id,
        now,
      );
      return Number(attempt.lastInsertRowid);
    })();
  }

  #finishAttempt(attemptId: number, record: UploadAttemptRecord, now: number): void {
    this.#sql(
      `UPDATE upload_attempts SET finished_at = ?, outcome = ?, http_status = ?, duration_ms = ?, reason = ?,
         response_body = ? WHERE id = ?`,
    ).run(
      now,
      record.outcome,
      record.httpStatus ?? null,
      record.durationMs === undefined ? null : Math.round(record.durationMs),
      record.reason ?? null,
      record.responseBody ?? null,
      attemptId,
    );
  }

  /**
   * Closes an upload attempt and moves its sale on, in one transaction: an attempt is never recorded as
   * finished without the sale's new state, nor the other way round.
   */
  #settle(
    attemptId: number,
    record: UploadAttemptRecord,
    now: number,
    saleUpdate: string,
    ...params: (string | number | null)[]
  ): void {
    this.#db.transaction(() => {
      this.#finishAttempt(attemptId, record, now);
      this.#sql(saleUpdate).run(...params);
    })();
  }

  /**
   * Synced (fsync under `sync: "full"`) like every settle: the till prints the fiscal number as soon as it
   * is answered, so the accept must survive a power cut first. Lost, it would leave a printed fiscal
   * receipt "in doubt", inviting a second report of the same sale. FBR answering again also ends the wait
   * of the till's other pending sales (`makePendingDueNow`), in the same transaction; returns how many.
   */
  settleAccepted(
    id: number,
    attemptId: number,
    fbrInvoiceNumber: string,
    record: UploadAttemptRecord,
    now: number,
  ): { madeDue: number } {
    return this.#db.transaction(() => {
      this.#finishAttempt(attemptId, record, now);
      const settled = this.#sql(
        `UPDATE sales SET state = 'accepted', fbr_invoice_number = ?, last_outcome = 'accepted', last_reason = NULL,
         settled_at = ? WHERE id = ? RETURNING pos_id`,
      ).get(fbrInvoiceNumber, now, id) as { pos_id: number } | undefined;
      return { madeDue: settled === undefined ? 0 : this.makePendingDueNow(settled.pos_id, now) };
    })();
  }

  /**
   * Records FBR's answer on the attempt alone, when the sale's settle failed: the sale stays "uploading"
   * (in doubt at the next start) and reconcile can show the fiscal number FBR gave. Best effort.
   */
  recordAttemptAnswer(attemptId: number, record: UploadAttemptRecord, now: number): void {
    this.#finishAttempt(attemptId, record, now);
  }

  /**
   * The fiscal number FBR gave this sale according to its upload attempts (an accepted answer whose
   * settle was lost), or null. Reconcile shows it so the operator can record it without searching FBR.
   */
  fiscalNumberFromAttempts(saleId: number): string | null {
    const rows = this.#sql(
      `SELECT outcome, reason, response_body FROM upload_attempts WHERE sale_id = ? AND
         (outcome = 'accepted' OR response_body IS NOT NULL) ORDER BY id DESC`,
    ).all(saleId) as { outcome: string | null; reason: string | null; response_body: string | null }[];
    for (const row of rows) {
      const fromBody = fiscalNumberInResponse(row.response_body);
      if (fromBody !== null) return fromBody;
      const fromReason = row.outcome === "accepted" ? /fiscal number (\S+)/.exec(row.reason ?? "") : null;
      if (fromReason?.[1] !== undefined) return fromReason[1];
    }
    return null;
  }

  settleRejected(
    id: number,
    attemptId: number,
    rejection: { code: string; message: string; problems: RejectionProblem[] },
    record: UploadAttemptRecord,
    now: number,
  ): void {
    this.#settle(
      attemptId,
      record,
      now,
      `UPDATE sales SET state = 'rejected', rejection_code = ?, rejection_message = ?, rejection_problems = ?,
       last_outcome = 'rejected', last_reason = ?, settled_at = ? WHERE id = ?`,
      rejection.code,
      rejection.message,
      JSON.stringify(rejection.problems),
      rejection.message,
      now,
      id,
    );
  }

  /**
   * A corrected sale under the USIN of one FBR rejected: FBR issued no number for the rejected payload, so
   * the new one replaces it and is uploaded (no risk of reporting a sale twice). Only from `rejected`.
   */
  replaceRejectedPayload(id: number, payload: string, now: number): boolean {
    return (
      this.#sql(
        `UPDATE sales SET payload = ?, payload_hash = ?, state = 'pending', next_attempt_at = ?, provisional = 0,
           rejection_code = NULL, rejection_message = NULL, rejection_problems = NULL, settled_at = NULL,
           last_outcome = 'corrected', last_reason = 'corrected sale replaced the rejected one'
           WHERE id = ? AND state = 'rejected'`,
      ).run(payload, hashPayload(payload), now, id).changes === 1
    );
  }

  /** A safe outcome (not sent, throttled): back to pending, due again at `nextAttemptAt`. */
  scheduleRetry(
    id: number,
    attemptId: number,
    nextAttemptAt: number,
    record: UploadAttemptRecord,
    now: number,
  ): void {
    this.#settle(
      attemptId,
      record,
      now,
      "UPDATE sales SET state = 'pending', next_attempt_at = ?, last_outcome = ?, last_reason = ? WHERE id = ?",
      nextAttemptAt,
      record.outcome,
      record.reason ?? null,
      id,
    );
  }

  /** The request may have reached FBR: park it for reconcile, never re-upload it automatically. */
  markInDoubt(id: number, attemptId: number, record: UploadAttemptRecord, now: number): void {
    this.#settleWithState("in_doubt", id, attemptId, record, now);
  }

  /** FBR refused the credentials: the sale waits (held) until the bridge restarts with new ones. */
  hold(id: number, attemptId: number, record: UploadAttemptRecord, now: number): void {
    this.#settleWithState("held", id, attemptId, record, now);
  }

  #settleWithState(
    state: "in_doubt" | "held",
    id: number,
    attemptId: number,
    record: UploadAttemptRecord,
    now: number,
  ): void {
    this.#settle(
      attemptId,
      record,
      now,
      "UPDATE sales SET state = ?, last_outcome = ?, last_reason = ? WHERE id = ?",
      state,
      record.outcome,
      record.reason ?? null,
      id,
    );
  }

  /** Pending sales of these tills due for upload, oldest first. */
  dueSales(now: number, limit: number, posIds: readonly number[]): JournaledSale[] {
    if (posIds.length === 0) return [];
    const marks = posIds.map(() => "?").join(", ");
    const rows = this.#sql(
      `SELECT * FROM sales WHERE state = 'pending' AND next_attempt_at <= ? AND pos_id IN (${marks})
         ORDER BY next_attempt_at, id LIMIT ?`,
    ).all(now, ...posIds, limit) as SaleRow[];
    return rows.map(toSale);
  }

  /** FBR answered again: make the till's waiting sales due now instead of after their backoff. */
  makePendingDueNow(posId: number, now: number): number {
    return this.#sql(
      "UPDATE sales SET next_attempt_at = ? WHERE pos_id = ? AND state = 'pending' AND next_attempt_at > ?",
    ).run(now, posId, now).changes;
  }

  /** Earliest time a pending sale of these tills becomes due, for the uploader's sleep. */
  nextDueAt(posIds: readonly number[]): number | null {
    if (posIds.length === 0) return null;
    const marks = posIds.map(() => "?").join(", ");
    const row = this.#sql(
      `SELECT MIN(next_attempt_at) AS due FROM sales WHERE state = 'pending' AND pos_id IN (${marks})`,
    ).get(...posIds) as { due: number | null };
    return row.due;
  }

  /** Unsettled sales of tills this bridge has no credentials for (the configuration changed). */
  orphanedSales(posIds: readonly number[]): number {
    const marks = posIds.map(() => "?").join(", ");
    const row = this.#sql(
      `SELECT COUNT(*) AS n FROM sales WHERE state IN ('pending', 'held')${posIds.length === 0 ? "" : ` AND pos_id NOT IN (${marks})`}`,
    ).get(...posIds) as { n: number };
    return row.n;
  }

  /**
   * Start-up recovery, decided by the sdk's `nextStepAfterCrash` (the gateway's outbox recovers by the same
   * rule). A claim records its attempt before the upload, so a sale still "uploading" whose latest attempt
   * is unsettled (no answer yet, or an answer the sale never took, such as an accept the disk refused) may
   * have reached FBR: in doubt. Only a latest attempt closed as never sent (or none at all) means nothing
   * was written: queued again, due now. Held sales get another chance with the (possibly new) credentials.
   */
  recoverAfterRestart(now: number): { inDoubt: number; released: number } {
    return this.#db.transaction(() => {
      const stranded = this.#sql(
        `SELECT s.id, COALESCE((
             SELECT a.finished_at IS NULL OR a.outcome NOT IN ('not_sent', 'throttled')
             FROM upload_attempts a WHERE a.sale_id = s.id ORDER BY a.id DESC LIMIT 1), 0) AS attempt_open
           FROM sales s WHERE s.state = 'uploading'`,
      ).all() as { id: number; attempt_open: number }[];
      let inDoubt = 0;
      for (const sale of stranded) {
        const step = nextStepAfterCrash(sale.attempt_open === 1);
        if (step.next === "in_doubt") {
          this.#sql(
            `UPDATE upload_attempts SET finished_at = ?, outcome = 'in_doubt', reason = ?
               WHERE sale_id = ? AND finished_at IS NULL`,
          ).run(now, step.why, sale.id);
          this.#sql(
            "UPDATE sales SET state = 'in_doubt', last_outcome = 'in_doubt', last_reason = ? WHERE id = ?",
          ).run(step.why, sale.id);
          inDoubt += 1;
        } else {
          this.#sql("UPDATE sales SET state = 'pending', next_attempt_at = ? WHERE id = ?").run(now, sale.id);
        }
      }
      const released = this.#sql(
        "UPDATE sales SET state = 'pending', next_attempt_at = ? WHERE state = 'held'",
      ).run(now).changes;
      return { inDoubt, released };
    })();
  }

  backlogStats(): BacklogStats {
    const byState: Record<SaleState, number> = {
      pending: 0,
      uploading: 0,
      accepted: 0,
      rejected: 0,
      in_doubt: 0,
      held: 0,
    };
    const rows = this.#sql("SELECT state, COUNT(*) AS n FROM sales GROUP BY state").all() as {
      state: SaleState;
      n: number;
    }[];
    for (const row of rows) byState[row.state] = row.n;
    const oldest = this.#sql(
      "SELECT MIN(received_at) AS oldest FROM sales WHERE state IN ('pending', 'uploading', 'held')",
    ).get() as { oldest: number | null };
    const oldestInDoubt = this.#sql(
      "SELECT MIN(received_at) AS oldest FROM sales WHERE state = 'in_doubt'",
    ).get() as { oldest: number | null };
    const provisional = this.#sql("SELECT COUNT(*) AS n FROM sales WHERE provisional = 1").get() as {
      n: number;
    };
    return {
      byState,
      oldestUnsettledAt: oldest.oldest,
      oldestInDoubtAt: oldestInDoubt.oldest,
      provisionalTotal: provisional.n,
    };
  }

  listSales(filter: { states?: readonly SaleState[]; limit?: number } = {}): JournaledSale[] {
    const limit = filter.limit ?? 1000;
    if (filter.states === undefined || filter.states.length === 0) {
      return (this.#sql("SELECT * FROM sales ORDER BY id LIMIT ?").all(limit) as SaleRow[]).map(toSale);
    }
    const marks = filter.states.map(() => "?").join(", ");
    const rows = this.#sql(`SELECT * FROM sales WHERE state IN (${marks}) ORDER BY id LIMIT ?`).all(
      ...filter.states,
      limit,
    ) as SaleRow[];
    return rows.map(toSale);
  }

  attemptCount(saleId: number): number {
    const row = this.#sql("SELECT COUNT(*) AS n FROM upload_attempts WHERE sale_id = ?").get(saleId) as {
      n: number;
    };
    return row.n;
  }

  // -- reconcile: a person's decisions about in-doubt sales -------------------------------------------------

  /** The operator found the sale at FBR (portal, Tax Asaan): record the number FBR gave it. */
  resolveAsAccepted(posId: number, usin: string, fbrInvoiceNumber: string, now: number): boolean {
    return (
      this.#sql(
        `UPDATE sales SET state = 'accepted', fbr_invoice_number = ?, last_outcome = 'reconciled',
           last_reason = 'number recorded by reconcile', settled_at = ? WHERE pos_id = ? AND usin = ? AND state = 'in_doubt'`,
      ).run(fbrInvoiceNumber, now, posId, usin).changes === 1
    );
  }

  /** The sale that holds an FBR fiscal number, if any (a number is one sale's). */
  findSaleByFiscalNumber(fbrInvoiceNumber: string): JournaledSale | undefined {
    const row = this.#sql("SELECT * FROM sales WHERE fbr_invoice_number = ? LIMIT 1").get(fbrInvoiceNumber) as
      | SaleRow
      | undefined;
    return row === undefined ? undefined : toSale(row);
  }

  /** The operator confirmed FBR never received it: upload it again. */
  requeue(posId: number, usin: string, now: number): boolean {
    return (
      this.#sql(
        `UPDATE sales SET state = 'pending', next_attempt_at = ?, last_outcome = 'reconciled',
           last_reason = 'queued again by reconcile' WHERE pos_id = ? AND usin = ? AND state = 'in_doubt'`,
      ).run(now, posId, usin).changes === 1
    );
  }
}
