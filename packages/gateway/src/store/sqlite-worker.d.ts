// Types of sqlite-worker.js (plain JavaScript, see there why): its protocol and its statement cache.
import type SqliteDatabase from "better-sqlite3";

export type WorkerRequest =
  | { id: number; op: "open"; path: string; pragmas: readonly string[] }
  | { id: number; op: "run"; sql: string; parameters: readonly unknown[] }
  | { id: number; op: "rollback" }
  | { id: number; op: "stream"; sql: string; parameters: readonly unknown[]; chunkSize: number }
  | { id: number; op: "next" }
  | { id: number; op: "endStream" }
  | { id: number; op: "close" };

export type WorkerResult =
  | { rows: unknown[] }
  | { changes: number; lastInsertRowid: number | bigint }
  | { rows: unknown[]; done: boolean }
  | { done?: never };

export type WorkerAnswer =
  | { id: number; result: WorkerResult }
  | { id: number; error: { message: string; code: string | undefined } };

export interface StatementCache {
  prepare(sql: string): SqliteDatabase.Statement;
  close(): void;
}

export function withStatementCache(database: SqliteDatabase.Database, limit?: number): StatementCache;
