// One gateway process per SQLite file. Start-up recovery on SQLite treats every outbox lease in the file as
// left behind by a dead process; that is only true if no other gateway is running on the same file. The
// proof is an OS-level lock: a companion `<db>.lock` SQLite file held in an open EXCLUSIVE transaction for
// the life of the process. The operating system drops the lock when the process dies (even on SIGKILL), so
// a stale lock file never blocks a restart; admin commands open the database itself, never the lock file,
// so they still work beside a running gateway.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SqliteDatabase from "better-sqlite3";

export class InstanceLockError extends Error {
  override readonly name = "InstanceLockError";
}

export interface InstanceLock {
  readonly path: string;
  release(): void;
}

export function lockSqliteFile(file: string): InstanceLock {
  const path = `${resolve(file)}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  // timeout 0: a held lock is an answer now, not something to wait for.
  const handle = new SqliteDatabase(path, { timeout: 0 });
  try {
    handle.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    handle.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new InstanceLockError(
        `another raseed gateway is already running on ${resolve(file)} (it holds ${path}); run one gateway process per SQLite file, or use PostgreSQL for several`,
      );
    }
    throw error;
  }
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      handle.exec("ROLLBACK");
      handle.close();
    },
  };
}
