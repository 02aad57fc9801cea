// The SQLite statement cache (store/statement-cache.ts): one prepared statement per SQL text, reused with new
// parameters, least-recently-used texts dropped past the limit, and a busy (still iterating) statement never
// handed out twice.
import SqliteDatabase from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { withStatementCache } from "../src/store/statement-cache.ts";

describe("statement cache", () => {
  const open: SqliteDatabase.Database[] = [];
  const database = () => {
    const db = new SqliteDatabase(":memory:");
    db.exec("create table t (n integer)");
    open.push(db);
    return db;
  };
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
  });

  it("returns the same prepared statement for the same SQL, which runs with new parameters", () => {
    const cached = withStatementCache(database());
    const insert = cached.prepare("insert into t (n) values (?)");
    expect(cached.prepare("insert into t (n) values (?)")).toBe(insert);
    insert.run([1]);
    cached.prepare("insert into t (n) values (?)").run([2]);
    expect(cached.prepare("select n from t order by n").all([])).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("drops the least recently used text past the limit", () => {
    const cached = withStatementCache(database(), 2);
    const a = cached.prepare("select 1 as a");
    const b = cached.prepare("select 2 as b");
    expect(cached.prepare("select 1 as a")).toBe(a); // a is now the most recently used
    cached.prepare("select 3 as c"); // evicts b
    expect(cached.prepare("select 1 as a")).toBe(a);
    expect(cached.prepare("select 2 as b")).not.toBe(b);
  });

  it("prepares a fresh copy while the cached statement is still iterating", () => {
    const db = database();
    db.exec("insert into t (n) values (1), (2)");
    const cached = withStatementCache(db);
    const select = cached.prepare("select n from t order by n");
    const iterator = select.iterate([]);
    expect(iterator.next().value).toEqual({ n: 1 });
    const second = cached.prepare("select n from t order by n");
    expect(second).not.toBe(select);
    expect(second.all([])).toEqual([{ n: 1 }, { n: 2 }]);
    expect(iterator.next().value).toEqual({ n: 2 });
    iterator.return?.();
  });

  it("closes the database", () => {
    const db = database();
    withStatementCache(db).close();
    expect(db.open).toBe(false);
  });
});
