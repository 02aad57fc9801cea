// Append-only, hash-chained audit log, one chain per tenant. Each entry's hash covers the previous hash and
// the entry's own fields; the chain head (seq + hash) is also kept on the tenant row, updated in the same
// transaction, so editing, deleting or truncating entries all break verification.
import { canonicalJson, redactSecrets } from "@raseed/sdk";
import type { Kysely, Transaction } from "kysely";
import { nowIso, sha256Hex } from "../store/ids.ts";
import type { AuditRow, Database } from "../store/schema.ts";

export interface AuditEntryInput {
  tenantId: string;
  /** Who did it: "api:<keyId>", "worker", "cli", "system". */
  actor: string;
  action: string;
  subject?: string | null;
  details?: unknown;
}

type Executor = Kysely<Database> | Transaction<Database>;

function entryHash(prevHash: string, entry: Omit<AuditRow, "hash" | "prev_hash">): string {
  return sha256Hex(
    `${prevHash}\n${canonicalJson({
      tenant_id: entry.tenant_id,
      seq: entry.seq,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      details: entry.details,
    })}`,
  );
}

/**
 * Appends one entry. Must run inside the transaction that makes the change it records. Bumping the
 * tenant's audit_seq first takes that row's write lock (PostgreSQL) or the database write lock (SQLite),
 * so concurrent writers for one tenant serialise and the chain never forks.
 */
export async function appendAudit(trx: Executor, input: AuditEntryInput): Promise<void> {
  const head = await trx
    .updateTable("tenants")
    .set((eb) => ({ audit_seq: eb("audit_seq", "+", 1) }))
    .where("id", "=", input.tenantId)
    .returning(["audit_seq", "audit_head_hash"])
    .executeTakeFirst();
  if (head === undefined) throw new Error(`audit: unknown tenant ${input.tenantId}`);
  const entry = {
    tenant_id: input.tenantId,
    seq: Number(head.audit_seq),
    at: nowIso(),
    actor: input.actor,
    action: input.action,
    subject: input.subject ?? null,
    // The one redaction list keeps tokens and keys out of the log (STYLE principle 14).
    details: canonicalJson(redactSecrets(input.details ?? {})),
  };
  const hash = entryHash(head.audit_head_hash, entry);
  await trx
    .insertInto("audit")
    .values({ ...entry, prev_hash: head.audit_head_hash, hash })
    .execute();
  await trx.updateTable("tenants").set({ audit_head_hash: hash }).where("id", "=", input.tenantId).execute();
}

export interface AuditChainReport {
  tenantId: string;
  ntn: string;
  entries: number;
  ok: boolean;
  /** The first link that does not hold, if any. */
  firstBroken?: { seq: number; reason: string };
}

/** Recomputes every tenant's chain (or one tenant's) and reports the first broken link of each. */
export async function verifyAuditChains(
  db: Kysely<Database>,
  tenantId?: string,
): Promise<AuditChainReport[]> {
  let tenantsQuery = db.selectFrom("tenants").select(["id", "ntn", "audit_seq", "audit_head_hash"]);
  if (tenantId !== undefined) tenantsQuery = tenantsQuery.where("id", "=", tenantId);
  const tenants = await tenantsQuery.orderBy("created_at").execute();
  const reports: AuditChainReport[] = [];
  for (const tenant of tenants) {
    const rows = await db
      .selectFrom("audit")
      .selectAll()
      .where("tenant_id", "=", tenant.id)
      .orderBy("seq")
      .execute();
    let prev = "";
    let expectedSeq = 1;
    let firstBroken: AuditChainReport["firstBroken"];
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        firstBroken = { seq: expectedSeq, reason: `entry ${expectedSeq} is missing (next found is ${seq})` };
        break;
      }
      if (row.prev_hash !== prev) {
        firstBroken = { seq, reason: `entry ${seq} does not link to entry ${seq - 1}` };
        break;
      }
      const recomputed = entryHash(prev, { ...row, seq });
      if (recomputed !== row.hash) {
        firstBroken = { seq, reason: `entry ${seq} was altered (hash mismatch)` };
        break;
      }
      prev = row.hash;
      expectedSeq += 1;
    }
    if (firstBroken === undefined) {
      const headSeq = Number(tenant.audit_seq);
      if (headSeq !== rows.length || tenant.audit_head_hash !== prev) {
        firstBroken = {
          seq: rows.length + 1,
          reason: `the chain ends at entry ${rows.length} but the recorded head is entry ${headSeq}`,
        };
      }
    }
    reports.push({
      tenantId: tenant.id,
      ntn: tenant.ntn,
      entries: rows.length,
      ok: firstBroken === undefined,
      ...(firstBroken !== undefined ? { firstBroken } : {}),
    });
  }
  return reports;
}
