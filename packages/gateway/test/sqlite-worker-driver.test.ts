// The SQLite worker-thread driver (store/sqlite-worker-driver.ts): SQLite's error codes cross the thread,
// transactions serialize on the one connection and roll back, bigints and Buffers round-trip, rows stream a
// chunk at a time, a thread that dies fails queries instead of leaving them waiting, and closing ends it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import SqliteDatabase from "better-sqlite3";
import { type Generated, Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteWorkerDialect, SqliteWorkerGoneError } from "../src/store/sqlite-worker-driver.ts";
import { classifyStoreFault } from "../src/store/write-health.ts";
import { tempDir } from "./helpers.ts";

interface Tables {
  t: { id: Generated<number>; n: number | bigint | null; data: Buffer | null; label: string | null };
}

describe("SQLite worker driver", () => {
  const open: Kysely<Tables>[] = [];
  const dirs: { remove(): void }[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  async function database(
    path = ":memory:",
    options: { resourceLimits?: { maxOldGenerationSizeMb: number } } = {},
  ) {
    const db = new Kysely<Tables>({
      dialect: new SqliteWorkerDialect({
        path,
        pragmas: ["journal_mode = WAL", "foreign_keys = ON"],
        ...options,
      }),
    });
    open.push(db);
    await sql`create table if not exists t (id integer primary key, n integer unique, data blob, label text)`.execute(
      db,
    );
    return db;
  }

  it("rejects with SQLite's own error and code", async () => {
    const db = await database();
    await db.insertInto("t").values({ id: 1, n: 1 }).execute();
    const error = await db
      .insertInto("t")
      .values({ id: 2, n: 1 })
      .execute()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqliteDatabase.SqliteError);
    expect((error as { code: string }).code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect((error as Error).message).toMatch(/UNIQUE constraint failed: t\.n/);
    const syntax = await sql`selec 1`.execute(db).catch((e: unknown) => e);
    expect((syntax as { code: string }).code).toBe("SQLITE_ERROR");
  });

  it("answers affected rows, insert ids and RETURNING rows", async () => {
    const db = await database();
    const inserted = await db.insertInto("t").values({ n: 5 }).executeTakeFirst();
    expect(inserted.insertId).toBe(1n);
    expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
    const returned = await db.insertInto("t").values({ n: 6 }).returning(["id", "n"]).execute();
    expect(returned).toEqual([{ id: 2, n: 6 }]);
    const updated = await db.updateTable("t").set({ label: "x" }).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(2n);
  });

  it("rolls a failed transaction back and keeps the committed one", async () => {
    const db = await database();
    await db.transaction().execute((trx) => trx.insertInto("t").values({ id: 1, n: 1 }).execute());
    const failed = db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 2, n: 2 }).execute();
      await trx.insertInto("t").values({ id: 3, n: 1 }).execute(); // unique violation
    });
    await expect(failed).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_UNIQUE" });
    expect(await db.selectFrom("t").select("id").orderBy("id").execute()).toEqual([{ id: 1 }]);
    // The connection is usable again, outside any transaction.
    await db.transaction().execute((trx) => trx.insertInto("t").values({ id: 4, n: 4 }).execute());
    expect(await db.selectFrom("t").select("id").orderBy("id").execute()).toEqual([{ id: 1 }, { id: 4 }]);
  });

  it("serializes concurrent transactions on the one connection", async () => {
    const db = await database();
    // Each reads the count and writes count + 1 into a unique column: interleaved, two would read the same
    // count and one would fail.
    const next = () =>
      db.transaction().execute(async (trx) => {
        const { count } = await trx
          .selectFrom("t")
          .select((eb) => eb.fn.countAll<number>().as("count"))
          .executeTakeFirstOrThrow();
        await trx
          .insertInto("t")
          .values({ n: count + 1 })
          .execute();
      });
    await Promise.all(Array.from({ length: 20 }, next));
    const rows = await db.selectFrom("t").select("n").orderBy("n").execute();
    expect(rows.map((row) => row.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("rolls back to a savepoint", async () => {
    const db = await database();
    const trx = await db.startTransaction().execute();
    await trx.insertInto("t").values({ id: 1 }).execute();
    const inner = await trx.savepoint("before_two").execute();
    await inner.insertInto("t").values({ id: 2 }).execute();
    await inner.rollbackToSavepoint("before_two").execute();
    await trx.commit().execute();
    expect(await db.selectFrom("t").select("id").execute()).toEqual([{ id: 1 }]);
  });

  it("round-trips bigints and Buffers", async () => {
    const db = await database();
    const big = 2n ** 62n + 1n;
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await db.insertInto("t").values({ id: 1, n: big, data: bytes }).execute();
    const row = await db
      .selectFrom("t")
      .select(["data", sql<string>`cast(n as text)`.as("text")])
      .executeTakeFirstOrThrow();
    expect(row.text).toBe(big.toString());
    expect(Buffer.isBuffer(row.data)).toBe(true);
    expect(row.data?.equals(bytes)).toBe(true);
    const found = await db.selectFrom("t").select("id").where("data", "=", bytes).execute();
    expect(found).toEqual([{ id: 1 }]);
  });

  it("streams rows a chunk at a time, and a reader that stops early frees the connection", async () => {
    const db = await database();
    await sql`with recursive s(v) as (select 1 union all select v + 1 from s where v < 250)
      insert into t (id) select v from s`.execute(db);
    const all: number[] = [];
    for await (const row of db.selectFrom("t").select("id").orderBy("id").stream(100)) all.push(row.id);
    expect(all).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));

    const first: number[] = [];
    for await (const row of db.selectFrom("t").select("id").orderBy("id").stream(10)) {
      first.push(row.id);
      if (first.length === 15) break;
    }
    expect(first).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(
      await db
        .selectFrom("t")
        .select((eb) => eb.fn.countAll<number>().as("c"))
        .executeTakeFirst(),
    ).toEqual({
      c: 250,
    });
  });

  it("fails waiting and later queries when the thread dies, instead of leaving them waiting", async () => {
    let thread: Worker | undefined;
    const db = new Kysely<Tables>({
      dialect: new SqliteWorkerDialect({ path: ":memory:", started: (started) => (thread = started) }),
    });
    open.push(db);
    await sql`select 1`.execute(db);
    // A long query in flight when the thread ends: its answer never comes.
    const counting = sql`with recursive s(v) as (select 1 union all select v + 1 from s where v < 3000000)
      select count(*) as c from s`.execute(db);
    const ended = thread?.terminate();
    const error = await counting.catch((e: unknown) => e);
    await ended;
    expect(error).toBeInstanceOf(SqliteWorkerGoneError);
    expect((error as SqliteWorkerGoneError).code).toBe("RASEED_SQLITE_WORKER_GONE");
    // classifyStoreFault maps it to store_unavailable, so /readyz says the store is gone.
    expect(classifyStoreFault(error)).toBe("store_unavailable");
    await expect(sql`select 1`.execute(db)).rejects.toBeInstanceOf(SqliteWorkerGoneError);
  });

  it("reports a database that cannot be opened (a directory) with SQLite's code", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const db = new Kysely<Tables>({
      dialect: new SqliteWorkerDialect({ path: dir.path }),
    });
    open.push(db);
    await expect(sql`select 1`.execute(db)).rejects.toMatchObject({ code: "SQLITE_CANTOPEN" });
  });

  it("closes the database on destroy (its WAL checkpointed away)", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir.path, "x.db");
    const db = await database(file);
    await db.insertInto("t").values({ id: 1 }).execute();
    expect(existsSync(`${file}-wal`)).toBe(true);
    await db.destroy();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new SqliteDatabase(file);
    expect(reopened.prepare("select id from t").all()).toEqual([{ id: 1 }]);
    reopened.close();
  });
});
