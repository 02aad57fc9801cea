// PostgreSQL's group commit with several groups committing at once (store/group-commit.ts concurrentGroups,
// audit/audit-log.ts writeDeferredAudit): every unit's answer comes after its commit, a failing unit fails
// alone, and the audit chains verify whether the predicted chain head held or not (another instance, or a
// transaction outside the group, wrote entries meanwhile).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAudit, verifyAuditChains } from "../src/audit/audit-log.ts";
import { registerAuditChainKey } from "../src/audit/chain-key.ts";
import { openStore, type Store } from "../src/store/database.ts";
import { GroupCommitter } from "../src/store/group-commit.ts";
import { addTenant } from "../src/tenants/tenants.ts";
import { postgresUrl, TEST_MASTER_KEY, tempDir } from "./helpers.ts";

const seller = {
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  environment: "sandbox" as const,
  fbrToken: "sandbox-demo-token",
};
const chainKey = Buffer.alloc(32, 9);

describe("group commit on PostgreSQL, several groups at once", () => {
  // Two stores on one schema: two gateway instances, each with its own pool and its own predicted heads.
  let first: Store;
  let second: Store;
  const dir = tempDir();
  const tenantIds: string[] = [];

  beforeAll(async () => {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    first = await openStore({ db: postgresUrl(), dataDir: dir.path, pgSchema: schema, poolSize: 6 });
    second = await openStore({ db: postgresUrl(), dataDir: dir.path, pgSchema: schema, poolSize: 6 });
    for (const store of [first, second]) registerAuditChainKey(store.db, chainKey);
    for (const ntn of ["7100001", "7100002", "7100003"]) {
      tenantIds.push((await addTenant(first.db, TEST_MASTER_KEY, { ...seller, ntn })).id);
    }
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    dir.remove();
  });

  it("answers every unit after its commit and keeps every chain intact", async () => {
    const committers = [first, second].map((store) => new GroupCommitter(store.db, { concurrentGroups: 3 }));
    const before = await entryCount();
    const unit = async (client: number, n: number): Promise<void> => {
      const tenantId = tenantIds[(client + n) % tenantIds.length] as string;
      const subject = `unit-${client}-${n}`;
      // Mostly one instance, now and then the other, so the first one's predicted heads sometimes fail.
      const committer = committers[n % 10 === 9 ? 1 : 0] as GroupCommitter;
      await committer.run(async (trx) => {
        await appendAudit(trx, { tenantId, actor: "test", action: "test.unit", subject });
        // A second entry of the same tenant in the same unit: the order of appends is the chain's order.
        await appendAudit(trx, { tenantId, actor: "test", action: "test.unit.after", subject });
      }, tenantId);
      // Answered only once committed: another instance's connection sees both entries.
      expect(await entriesOf(subject)).toBe(2);
      // A transaction outside the groups appends to the same chain now and then.
      if (n % 10 === 4) {
        await first.db
          .transaction()
          .execute((trx) => appendAudit(trx, { tenantId, actor: "test", action: "test.alone", subject }));
      }
    };
    // 16 clients, each sending its next unit when the last one is answered, as connections to the API do.
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        for (let n = 0; n < 20; n++) await unit(client, n);
      }),
    );
    expect((await entryCount()) - before).toBe(16 * 20 * 2 + 16 * 2);
    const reports = await verifyAuditChains(first.db, undefined, { chainKey });
    expect(reports.map((report) => report.ok)).toEqual([true, true, true]);
    // Each unit's two entries are next to each other in its tenant's chain.
    const rows = await first.db
      .selectFrom("audit")
      .select(["seq", "action", "subject"])
      .where("action", "like", "test.unit%")
      .orderBy("tenant_id")
      .orderBy("seq")
      .execute();
    for (let index = 0; index < rows.length; index += 2) {
      expect([rows[index]?.action, rows[index + 1]?.action]).toEqual(["test.unit", "test.unit.after"]);
      expect(rows[index]?.subject).toBe(rows[index + 1]?.subject);
      expect(Number(rows[index + 1]?.seq)).toBe(Number(rows[index]?.seq) + 1);
    }
  });

  it("fails only the unit that fails, and the chain goes on after a rolled-back group", async () => {
    const committer = new GroupCommitter(first.db, { concurrentGroups: 3 });
    const tenantId = tenantIds[0] as string;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, n) =>
        committer.run(async (trx) => {
          await appendAudit(trx, { tenantId, actor: "test", action: "test.mixed", subject: `mixed-${n}` });
          if (n % 7 === 3) throw new Error(`unit ${n} fails`);
          return n;
        }, tenantId),
      ),
    );
    const failed = outcomes.flatMap((outcome, n) => (outcome.status === "rejected" ? [n] : []));
    expect(failed).toEqual([3, 10, 17, 24, 31, 38]);
    expect(await entriesOfAction("test.mixed")).toBe(40 - failed.length);
    // After groups rolled back, what this process predicted for the chain no longer holds: still intact.
    await committer.run(
      (trx) => appendAudit(trx, { tenantId, actor: "test", action: "test.after" }),
      tenantId,
    );
    const [report] = await verifyAuditChains(first.db, tenantId, { chainKey });
    expect(report?.ok).toBe(true);
  });

  async function entryCount(): Promise<number> {
    const row = await first.db
      .selectFrom("audit")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function entriesOf(subject: string): Promise<number> {
    const row = await second.db
      .selectFrom("audit")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("subject", "=", subject)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function entriesOfAction(action: string): Promise<number> {
    const row = await first.db
      .selectFrom("audit")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("action", "=", action)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
});
