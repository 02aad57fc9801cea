// SQLite checkpoints run in a thread of their own (store/checkpointer.ts): the gateway's connection only
// checkpoints as a safety net, the thread copies the WAL into the database file every 32 commits, and if the
// thread cannot run the connection goes back to SQLite's own checkpoints. Waits on the thread's events only.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import {
  Checkpointer,
  type CheckpointResult,
  DEFAULT_AUTOCHECKPOINT_PAGES,
  SAFETY_NET_PAGES,
} from "../src/store/checkpointer.ts";
import { openStore, type Store } from "../src/store/database.ts";
import { tempDir } from "./helpers.ts";

describe("SQLite checkpoints in a thread", () => {
  const dir = tempDir("raseed-checkpoint-");
  let store: Store | undefined;

  afterEach(async () => {
    await store?.close();
    dir.remove();
  });

  it("leaves the gateway's connection only a safety net, and checkpoints the WAL from the thread", async () => {
    store = await openStore({ dataDir: dir.path });
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    expect(rows[0]?.wal_autocheckpoint).toBe(SAFETY_NET_PAGES);
    const checkpoints = store.checkpoints;
    if (checkpoints === undefined) throw new Error("a file store has a checkpoint thread");
    await sql`create table notes (text text)`.execute(store.db);
    const checkpointed = once(checkpoints, "checkpoint") as Promise<[CheckpointResult]>;
    // 32 commits (and the migrations' before them) ask for at least one checkpoint.
    for (let i = 0; i < 32; i += 1) {
      await store.db
        .transaction()
        .execute((trx) => sql`insert into notes values (${`note ${i}`})`.execute(trx));
    }
    const [result] = await checkpointed;
    expect(result.busy).toBe(0);
    expect(result.log).toBeGreaterThan(0);
    // Nothing else reads the WAL here, so the thread copied all of it into the database file.
    expect(result.checkpointed).toBe(result.log);
    const count = await sql<{ n: number }>`select count(*) as n from notes`.execute(store.db);
    expect(count.rows[0]?.n).toBe(32);
  });

  it("lets a process that closed its store end by itself, as a CLI command does", () => {
    const fixture = join(import.meta.dirname, "fixtures", "checkpoint", "open-write-close.mts");
    const run = spawnSync(
      process.execPath,
      ["--conditions=@raseed/source", "--import", "tsx", fixture, dir.path],
      {
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("closed");
    expect(run.status).toBe(0);
  });

  it("gives the connection SQLite's own checkpoints back when the thread cannot run", async () => {
    const settings: number[] = [];
    const checkpointer = new Checkpointer(join(dir.path, "no-such-folder", "raseed.db"), (pages) =>
      settings.push(pages),
    );
    const failed = once(checkpointer, "failed");
    checkpointer.request();
    await failed;
    expect(settings).toEqual([SAFETY_NET_PAGES, DEFAULT_AUTOCHECKPOINT_PAGES]);
    // Stopped for good: later commits ask the dead thread for nothing.
    for (let i = 0; i < 64; i += 1) checkpointer.committed();
    await checkpointer.close();
  });
});
