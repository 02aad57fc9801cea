// A Kysely dialect whose one SQLite connection lives in a worker thread (sqlite-worker.ts), so statements and
// COMMIT's fsync run beside the event loop instead of on it (issue 11). What the rest of the store relies on
// is kept: one connection behind a mutex (a transaction holds it to the end, so transactions serialize), errors
// arrive as better-sqlite3's SqliteError with SQLite's own code, bigints and Buffers round-trip, rows can be
// streamed a chunk at a time, and a thread that dies fails every waiting and later query with
// SqliteWorkerGoneError rather than leaving it waiting forever.
//
// kysely-generic-sqlite (which also runs SQLite in a worker) was looked at first; it was left aside because it
// posts errors by structured clone (SQLite's `code` is lost), has no answer for a worker that dies (queries
// wait forever), and streams by pushing every row without waiting for the reader.
import { Worker } from "node:worker_threads";
import SqliteDatabase from "better-sqlite3";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import type { WorkerAnswer, WorkerRequest, WorkerResult } from "./sqlite-worker.js";

/** The SQLite thread stopped (crashed, ran out of memory, or the store was closed). */
export class SqliteWorkerGoneError extends Error {
  override readonly name = "SqliteWorkerGoneError";
  readonly code = "RASEED_SQLITE_WORKER_GONE";
}

export interface SqliteWorkerOptions {
  /** A file path, or ":memory:" (a private database that lives as long as the thread). */
  path: string;
  /** Run in order right after opening, e.g. "journal_mode = WAL". */
  pragmas?: readonly string[];
  /** Called with each thread started (tests end it to see waiting queries fail). */
  started?: (thread: Worker) => void;
}

// Requests without their id: the channel numbers them.
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Request = WithoutId<WorkerRequest>;

function startWorker(): Worker {
  return new Worker(new URL("./sqlite-worker.js", import.meta.url), {
    workerData: { raseedSqliteThread: true },
    // Plain JavaScript: none of the main thread's loaders (`--import tsx` costs ~0.4 s per thread).
    execArgv: [],
  });
}

/** The thread and the requests waiting on it. Keeps the process alive only while a request is waiting. */
class WorkerChannel {
  readonly #worker: Worker;
  readonly #waiting = new Map<
    number,
    { resolve: (result: WorkerResult) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;
  #gone: SqliteWorkerGoneError | undefined;

  constructor(started: ((thread: Worker) => void) | undefined) {
    this.#worker = startWorker();
    started?.(this.#worker);
    this.#worker.unref();
    this.#worker.on("message", (answer: WorkerAnswer) => this.#answer(answer));
    this.#worker.on("error", (error) => {
      this.#stop(new SqliteWorkerGoneError(`the SQLite thread failed: ${error.message}`, { cause: error }));
    });
    this.#worker.on("exit", (code) =>
      this.#stop(new SqliteWorkerGoneError(`the SQLite thread exited (code ${code})`)),
    );
  }

  request(request: Request): Promise<WorkerResult> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  /** Closes the database (a clean WAL checkpoint) if the thread still runs, then ends the thread. */
  async close(): Promise<void> {
    if (this.#gone === undefined) await this.request({ op: "close" }).catch(() => undefined);
    this.#stop(new SqliteWorkerGoneError("the store is closed"));
    await this.#worker.terminate();
  }

  #answer(answer: WorkerAnswer): void {
    const waiter = this.#waiting.get(answer.id);
    if (waiter === undefined) return;
    this.#waiting.delete(answer.id);
    if (this.#waiting.size === 0) this.#worker.unref();
    if ("result" in answer) waiter.resolve(answer.result);
    else if (answer.error.code !== undefined)
      waiter.reject(new SqliteDatabase.SqliteError(answer.error.message, answer.error.code));
    else waiter.reject(new Error(answer.error.message));
  }

  #stop(reason: SqliteWorkerGoneError): void {
    this.#gone ??= reason;
    for (const waiter of this.#waiting.values()) waiter.reject(this.#gone);
    this.#waiting.clear();
  }
}

/** Blobs cross the thread as plain Uint8Arrays; callers get Buffers, as better-sqlite3 gives them. */
function withBuffers(rows: unknown[]): unknown[] {
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
        record[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    }
  }
  return rows;
}

class WorkerConnection implements DatabaseConnection {
  constructor(readonly channel: WorkerChannel) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.channel.request({ op: "run", sql: query.sql, parameters: query.parameters });
    if ("rows" in result) return { rows: withBuffers(result.rows) as R[] };
    if (!("changes" in result)) return { rows: [] };
    return { numAffectedRows: BigInt(result.changes), insertId: BigInt(result.lastInsertRowid), rows: [] };
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters } = query;
    let chunk = await this.channel.request({ op: "stream", sql, parameters, chunkSize });
    let done = false;
    try {
      while ("rows" in chunk) {
        done = "done" in chunk && chunk.done;
        if (chunk.rows.length > 0) yield { rows: withBuffers(chunk.rows) as R[] };
        if (done) return;
        chunk = await this.channel.request({ op: "next" });
      }
    } finally {
      if (!done) await this.channel.request({ op: "endStream" }).catch(() => undefined);
    }
  }
}

/** Kysely's own SQLite mutex semantics: one holder at a time; a transaction holds it until it ends. */
class ConnectionMutex {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.#held !== undefined) await this.#held;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  unlock(): void {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

class SqliteWorkerDriver implements Driver {
  readonly #mutex = new ConnectionMutex();
  #connection: WorkerConnection | undefined;

  constructor(private readonly options: SqliteWorkerOptions) {}

  async init(): Promise<void> {
    const channel = new WorkerChannel(this.options.started);
    try {
      await channel.request({ op: "open", path: this.options.path, pragmas: this.options.pragmas ?? [] });
    } catch (error) {
      await channel.close();
      throw error;
    }
    this.#connection = new WorkerConnection(channel);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    if (this.#connection === undefined) {
      this.#mutex.unlock();
      throw new SqliteWorkerGoneError("the store is closed");
    }
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(): Promise<void> {
    // The one connection (the one passed in may be a wrapper of it); the worker skips a rollback SQLite
    // has already done by itself.
    await this.#connection?.channel.request({ op: "rollback" });
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`));
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.channel.close();
  }
}

/** SQLite through a worker thread; otherwise Kysely's SQLite dialect (same SQL, adapter and introspector). */
export class SqliteWorkerDialect implements Dialect {
  constructor(private readonly options: SqliteWorkerOptions) {}

  createDriver(): Driver {
    return new SqliteWorkerDriver(this.options);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Dialect's own signature takes Kysely<any>
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
