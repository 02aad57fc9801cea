// SQLite commits are durable before they resolve, with the WAL's fsync off the event loop (store/wal-sync.ts):
// a commit, or a write on its own, answers only after a flush that began after it; reads ask for none; a
// group commit's units share one flush; a failed flush fails the commit it covered. The
// flush is replaced by one the test holds, so nothing here depends on timing.
import { readlinkSync } from "node:fs";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HeldFsync } from "../../pos-bridge/test/held-fsync.ts";
import { precompiled } from "../src/store/compiled-query.ts";
import { openStore, type Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { fdatasyncFile } from "../src/store/wal-sync.ts";
import { tempDir } from "./helpers.ts";

/** Settles to "pending" while `promise` has not settled after the event loop has turned. */
async function stateOf(promise: Promise<unknown>): Promise<"resolved" | "rejected" | "pending"> {
  const marker = Symbol("pending");
  const first = await Promise.race([
    promise.then(
      () => "resolved" as const,
      () => "rejected" as const,
    ),
    new Promise<symbol>((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return first === marker ? "pending" : (first as "resolved" | "rejected");
}

const countNotes = precompiled((db, _slots: Record<string, never>) =>
  (db as unknown as Kysely<{ notes: { id: number; text: string } }>)
    .selectFrom("notes")
    .select((eb) => eb.fn.countAll<number>().as("n")),
);

describe("SQLite commits with the WAL synced off the event loop", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let held: HeldFsync;

  beforeEach(async () => {
    dir = tempDir("raseed-walsync-");
    held = new HeldFsync();
    // Flushes pass straight through while the store is set up (migrations, the test's table), then are held.
    let holding = false;
    store = await openStore({
      dataDir: dir.path,
      walFlush: (fd) => (holding ? held.fsync(fd) : Promise.resolve()),
    });
    await sql`create table notes (id integer primary key, text text not null)`.execute(store.db);
    holding = true;
  });

  afterEach(async () => {
    while (held.waiting > 0) held.release();
    await store.close();
    dir.remove();
  });

  it("runs SQLite with synchronous = NORMAL, since the store syncs the WAL itself", async () => {
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    expect(rows[0]?.synchronous).toBe(1);
  });

  it("keeps statement journals in memory (temp_store = MEMORY), not in a temporary file per group", async () => {
    const { rows } = await sql<{ temp_store: number }>`pragma temp_store`.execute(store.db);
    expect(rows[0]?.temp_store).toBe(2);
  });

  it("resolves a transaction only once a flush that began after its commit has finished", async () => {
    const started = held.started;
    const commit = store.db.transaction().execute(async (trx) => {
      await sql`insert into notes (text) values ('one')`.execute(trx);
      return "committed";
    });
    await held.startedAtLeast(started + 1);
    expect(await stateOf(commit)).toBe("pending");
    held.release();
    expect(await commit).toBe("committed");
  });

  it("runs a compiled read at once only on a free connection: never beside an open transaction or an unsynced commit", async () => {
    // Free: answered in the same turn, with nothing to flush.
    expect(await stateOf(countNotes(store.db, {}))).toBe("resolved");
    // A transaction with an insert it will roll back: a read asked for meanwhile waits its turn and never
    // sees the row (run straight on the connection it would have).
    let finish: () => void = () => {};
    const open = new Promise<void>((resolve) => {
      finish = resolve;
    });
    let inserted: () => void = () => {};
    const insertedYet = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const rolledBack = store.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into notes (text) values ('never')`.execute(trx);
        inserted();
        await open;
        throw new Error("roll back");
      })
      .catch(() => "rolled back");
    await insertedYet;
    const duringTransaction = countNotes(store.db, {});
    expect(await stateOf(duringTransaction)).toBe("pending");
    const started = held.started;
    finish();
    // The rolled-back insert was a write: its ROLLBACK is flushed like a commit.
    await held.startedAtLeast(started + 1);
    held.release();
    expect(await rolledBack).toBe("rolled back");
    expect((await duringTransaction)[0]?.n).toBe(0);
    // A commit whose flush is held: a read asked for meanwhile answers only after it is durable.
    const commit = store.db.transaction().execute(async (trx) => {
      await sql`insert into notes (text) values ('durable')`.execute(trx);
    });
    await held.startedAtLeast(started + 2);
    const afterCommit = countNotes(store.db, {});
    expect(await stateOf(afterCommit)).toBe("pending");
    held.release();
    await commit;
    expect((await afterCommit)[0]?.n).toBe(1);
  });

  it("holds a write outside a transaction until its flush, and the connection with it", async () => {
    const started = held.started;
    const write = sql`insert into notes (text) values ('alone')`.execute(store.db);
    await held.startedAtLeast(started + 1);
    // A read queued behind the write waits for the connection, so it cannot see the write before it is durable.
    const read = sql<{ n: number }>`select count(*) as n from notes`.execute(store.db);
    expect(await stateOf(write)).toBe("pending");
    expect(await stateOf(read)).toBe("pending");
    held.release();
    await write;
    expect((await read).rows[0]?.n).toBe(1);
  });

  it("asks for no flush for reads", async () => {
    const started = held.started;
    await sql`select count(*) from notes`.execute(store.db);
    await store.db.selectFrom("tenants").selectAll().execute();
    await store.db.transaction().execute((trx) => sql`select 1`.execute(trx));
    expect(held.started).toBe(started);
  });

  it("makes a group commit's concurrent units durable with one flush", async () => {
    const committer = new GroupCommitter(store.db);
    const started = held.started;
    const units = ["a", "b", "c", "d", "e"].map((text) =>
      committer.run((trx) => sql`insert into notes (text) values (${text})`.execute(trx)),
    );
    await held.startedAtLeast(started + 1);
    for (const unit of units) expect(await stateOf(unit)).toBe("pending");
    held.release();
    await Promise.all(units);
    expect(held.started - started).toBe(1);
    const { rows } = await sql<{ n: number }>`select count(*) as n from notes`.execute(store.db);
    expect(rows[0]?.n).toBe(5);
  });

  it("fails the commit a failed flush covered and every write after it until the store is opened again", async () => {
    const first = held.started;
    const durableBefore = sql`insert into notes (text) values ('durable before')`.execute(store.db);
    await held.startedAtLeast(first + 1);
    held.release();
    await durableBefore;
    const before = held.started;
    const commit = store.db
      .transaction()
      .execute((trx) => sql`insert into notes (text) values ('lost?')`.execute(trx));
    await held.startedAtLeast(before + 1);
    held.fail(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await expect(commit).rejects.toThrow(/EIO/);
    // A store fault (the API answers 503 store_unavailable and /readyz fails), not an unexpected error.
    expect(store.health.current()).toMatchObject({ code: "store_unavailable", message: /EIO/ });
    // A later flush could report success for pages the failed one lost: nothing is taken as durable again,
    // no flush is even asked for, and no read shows the commit that may be lost (neither a read through
    // Kysely nor a compiled one run straight on the connection), until the store is opened again.
    const flushesAfter = held.started;
    const refused = { code: "EIO", message: expect.stringMatching(/restart the gateway/) };
    await expect(sql`insert into notes (text) values ('next')`.execute(store.db)).rejects.toMatchObject(
      refused,
    );
    expect(await store.health.probe()).toBe(false);
    await expect(sql`select text from notes`.execute(store.db)).rejects.toMatchObject(refused);
    await expect(countNotes(store.db, {})).rejects.toMatchObject(refused);
    expect(held.started).toBe(flushesAfter);
    await store.close();
    let holding = false;
    store = await openStore({
      dataDir: dir.path,
      walFlush: (fd) => (holding ? held.fsync(fd) : Promise.resolve()),
    });
    holding = true;
    const again = sql`insert into notes (text) values ('after restart')`.execute(store.db);
    await held.startedAtLeast(flushesAfter + 1);
    held.release();
    await again;
    expect(store.health.current()).toBeUndefined();
    const { rows } = await sql<{ text: string }>`select text from notes order by id`.execute(store.db);
    expect(rows.map((row) => row.text)).toContain("durable before");
    expect(rows.map((row) => row.text)).toContain("after restart");
  });

  it("takes a disk that filled while the WAL was written back for a full store", async () => {
    const started = held.started;
    const write = sql`insert into notes (text) values ('no room')`.execute(store.db);
    await held.startedAtLeast(started + 1);
    held.fail(Object.assign(new Error("ENOSPC: no space left on device, fdatasync"), { code: "ENOSPC" }));
    await expect(write).rejects.toThrow(/ENOSPC/);
    expect(store.health.current()?.code).toBe("store_full");
  });
});

describe("SQLite commits with the real flush", () => {
  it("fdatasyncs the store's own WAL file, and what was committed is there after the store is reopened", async () => {
    const dir = tempDir("raseed-walsync-real-");
    const flushed: string[] = [];
    try {
      const first = await openStore({
        dataDir: dir.path,
        walFlush: async (fd) => {
          flushed.push(readlinkSync(`/proc/self/fd/${fd}`));
          await fdatasyncFile(fd);
        },
      });
      await sql`create table notes (text text)`.execute(first.db);
      flushed.length = 0;
      await first.db.transaction().execute((trx) => sql`insert into notes values ('kept')`.execute(trx));
      expect(flushed).toEqual([join(dir.path, "raseed.db-wal")]);
      await first.close();
      const again = await openStore({ dataDir: dir.path });
      const { rows } = await sql<{ text: string }>`select text from notes`.execute(again.db);
      expect(rows).toEqual([{ text: "kept" }]);
      await again.close();
    } finally {
      dir.remove();
    }
  });
});
