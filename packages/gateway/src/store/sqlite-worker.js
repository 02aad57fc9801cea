// The SQLite connection's own thread (issue 11). better-sqlite3 is synchronous: run on the gateway's event
// loop, every statement and every COMMIT's fsync stopped the process from reading and validating the next
// requests. Here the one connection lives in a worker thread; sqlite-worker-driver.ts is the Kysely driver on
// the main thread that sends it one request at a time and waits for the answer.
//
// Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader of the tests and of
// `tsx`, and loading one into each thread cost ~1 s per store opened; the build copies this file into dist as
// it is. Its types (the protocol and the statement cache) are declared in sqlite-worker.d.ts beside it.
//
// Protocol (structured-clone messages on the worker's port; each request has an id, each answer repeats it):
//   open {path, pragmas}                -> {}                  once, first
//   run {sql, parameters}               -> {rows} | {changes, lastInsertRowid}
//   rollback                            -> {}                  a no-op when SQLite already rolled back
//   stream {sql, parameters, chunkSize} -> {rows, done}        the first chunk; the iterator stays open
//   next                                -> {rows, done}        the next chunk of the open stream
//   endStream                           -> {}                  the reader stopped early
//   close                               -> {}                  then the thread ends
// A failure answers {error: {message, code}} with SQLite's own code (SQLITE_CONSTRAINT_UNIQUE, SQLITE_FULL...).
import { parentPort, workerData } from "node:worker_threads";
import SqliteDatabase from "better-sqlite3";

/**
 * Prepared statements kept per SQL text. Kysely prepares every query it runs, and preparing (parsing and
 * planning the SQL) was ~13% of the gateway's CPU under ingest load (issue 11's profile); better-sqlite3
 * statements can be run again with new parameters. Least-recently-used texts are dropped beyond `limit`
 * (multi-row inserts make texts that vary with the row count). A statement still iterating (a streamed query)
 * is busy, so a second copy is prepared for that run rather than reused.
 */
export function withStatementCache(database, limit = 500) {
  const cache = new Map();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql) => {
      const cached = cache.get(sql);
      if (cached !== undefined) {
        if (cached.busy) return database.prepare(sql);
        // Map order is insertion order: re-inserting marks it most recently used.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > limit) cache.delete(cache.keys().next().value);
      return statement;
    },
  };
}

/** Buffers arrive as plain Uint8Arrays after the copy between threads; bind them as Buffers (blobs). */
function bindable(parameters) {
  return parameters.map((value) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value,
  );
}

function serve(port) {
  let database;
  let statements;
  let stream; // { rows: the statement's iterator, chunkSize }

  const opened = () => {
    if (statements === undefined) throw new Error("the SQLite thread has no open database");
    return statements;
  };
  const nextChunk = () => {
    if (stream === undefined) throw new Error("no streamed query is open");
    const rows = [];
    while (rows.length < stream.chunkSize) {
      const next = stream.rows.next();
      if (next.done === true) {
        stream = undefined;
        return { rows, done: true };
      }
      rows.push(next.value);
    }
    return { rows, done: false };
  };
  const endStream = () => {
    stream?.rows.return?.();
    stream = undefined;
  };

  const handle = (request) => {
    switch (request.op) {
      case "open":
        database = new SqliteDatabase(request.path);
        for (const pragma of request.pragmas) database.pragma(pragma);
        statements = withStatementCache(database);
        return {};
      case "run": {
        const statement = opened().prepare(request.sql);
        if (statement.reader) return { rows: statement.all(bindable(request.parameters)) };
        const { changes, lastInsertRowid } = statement.run(bindable(request.parameters));
        return { changes, lastInsertRowid };
      }
      case "rollback":
        // SQLite rolls a transaction back by itself on SQLITE_FULL and I/O errors; a second ROLLBACK would
        // then fail with "cannot rollback - no transaction is active", and replace the real error.
        opened();
        if (database.inTransaction) database.exec("rollback");
        return {};
      case "stream": {
        endStream();
        const statement = opened().prepare(request.sql);
        if (!statement.reader) throw new Error("only queries that return rows can be streamed");
        stream = {
          rows: statement.iterate(bindable(request.parameters)),
          chunkSize: Math.max(1, request.chunkSize),
        };
        return nextChunk();
      }
      case "next":
        return nextChunk();
      case "endStream":
        endStream();
        return {};
      case "close":
        endStream();
        statements?.close();
        statements = undefined;
        database = undefined;
        return {};
      default:
        throw new Error(`unknown request ${String(request.op)}`);
    }
  };

  port.on("message", (request) => {
    let answer;
    try {
      answer = { id: request.id, result: handle(request) };
    } catch (error) {
      const code = typeof error?.code === "string" ? error.code : undefined;
      answer = { id: request.id, error: { message: String(error?.message ?? error), code } };
    }
    port.postMessage(answer);
    if (request.op === "close") port.close();
  });
}

// Only in the thread sqlite-worker-driver.ts starts; imported anywhere else (a test), it only exports.
if (parentPort !== null && workerData?.raseedSqliteThread === true) serve(parentPort);
