// Append-only, hash-chained audit log, one chain per tenant. Each entry's hash covers the previous hash and
// the entry's own fields; the chain head (seq + hash) is also kept on the tenant row, updated in the same
// transaction, so editing, deleting or truncating entries all break verification.
//
// Keyed (issue 9): where the store has a chain key (audit/chain-key.ts, derived from the master key), each
// entry also carries mac = HMAC(key, previous mac + "\n" + hash) and the tenant row the head mac, so someone
// who can write the database but lacks the master key cannot recompute the chain after an edit. Chains
// written before keys existed are adopted by `adoptUnkeyedChains`: their intact SHA-256 chain is closed by
// an `audit.keyed` entry, the first with a mac; from there on every entry must have one.
import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson, redactSecrets } from "@raseed/sdk";
import { type Kysely, sql, type Transaction } from "kysely";
import { insertRows, precompiled } from "../store/compiled-query.ts";
import { nowIso, sha256Hex } from "../store/ids.ts";
import { prepareOnPostgres } from "../store/pg-named-statements.ts";
import type { AuditRow, Database } from "../store/schema.ts";
import { auditChainKeyOf } from "./chain-key.ts";

export interface AuditEntryInput {
  tenantId: string;
  /** Who did it: "api:<keyId>", "worker", "cli", "system". */
  actor: string;
  action: string;
  subject?: string | null;
  details?: unknown;
}

type Executor = Kysely<Database> | Transaction<Database>;

/** An entry's SHA-256 link: also recomputed by `raseed archive verify`, which has no database. */
export function entryHash(prevHash: string, entry: Omit<AuditRow, "hash" | "prev_hash" | "mac">): string {
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
  await appendAuditEntries(trx, [input]);
}

/**
 * Appends several entries, in the order given, in a few statements per tenant whatever their number (a
 * group commit of many submissions: issue 11): the tenant's audit_seq is bumped by the count at once (which
 * takes the same lock as one entry), the chain is computed in memory from the returned head, the entries go
 * in with a few multi-row inserts compiled once (insertRows) and the head is updated once. The chain is
 * exactly the one single appends would make. In a transaction given to deferAuditEntries they are held
 * for writeDeferredAudit instead.
 */
export async function appendAuditEntries(trx: Executor, inputs: readonly AuditEntryInput[]): Promise<void> {
  const held = deferred.get(trx);
  if (held !== undefined) {
    held.push(...inputs);
    return;
  }
  const chainKey = auditChainKeyOf(trx);
  for (const [tenantId, entries] of byTenantInOrder(inputs)) {
    const [head] = await bumpAuditSeq(trx, { tenantId, count: entries.length });
    if (head === undefined) throw new Error(`audit: unknown tenant ${tenantId}`);
    const chain = chainFrom(headBefore(head, entries.length), tenantId, entries, chainKey);
    await insertChain(trx, tenantId, chain);
  }
}

/** The head of a tenant's chain: its last entry's seq, hash and mac. */
interface ChainHead {
  seq: number;
  hash: string;
  mac: string | null;
}

/** Entries with their tenant's head after them. */
interface Chain {
  rows: AuditRow[];
  head: ChainHead;
}

/** Tenants in one order, so concurrent writers lock their rows in the same order (PostgreSQL). */
function byTenantInOrder(inputs: readonly AuditEntryInput[]): [string, AuditEntryInput[]][] {
  const byTenant = new Map<string, AuditEntryInput[]>();
  for (const input of inputs) {
    const list = byTenant.get(input.tenantId);
    if (list === undefined) byTenant.set(input.tenantId, [input]);
    else list.push(input);
  }
  return [...byTenant.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The head before a bump by `count`, from the tenant row the bump answered. */
function headBefore(
  bumped: { audit_seq: number; audit_head_hash: string; audit_head_mac: string | null },
  count: number,
): ChainHead {
  return { seq: Number(bumped.audit_seq) - count, hash: bumped.audit_head_hash, mac: bumped.audit_head_mac };
}

/** The entries linked after `head`, in order: exactly what appending them one by one would write. */
function chainFrom(
  head: ChainHead,
  tenantId: string,
  entries: readonly AuditEntryInput[],
  chainKey: Buffer | undefined,
): Chain {
  let { seq, hash: prevHash, mac: prevMac } = head;
  const rows: AuditRow[] = [];
  for (const input of entries) {
    seq += 1;
    const entry = {
      tenant_id: tenantId,
      seq,
      at: nowIso(),
      actor: input.actor,
      action: input.action,
      subject: input.subject ?? null,
      // The one redaction list keeps tokens and keys out of the log (STYLE principle 14).
      details: canonicalJson(redactSecrets(input.details ?? {})),
    };
    const hash = entryHash(prevHash, entry);
    // An unkeyed chain (written before keys existed) stays unkeyed until adoptUnkeyedChains closes it.
    const keyable =
      chainKey !== undefined && (prevMac !== null || entry.seq === 1 || input.action === "audit.keyed");
    const mac = keyable ? entryMac(chainKey, prevMac ?? "", hash) : null;
    rows.push({ ...entry, prev_hash: prevHash, hash, mac });
    prevHash = hash;
    prevMac = mac;
  }
  return { rows, head: { seq, hash: prevHash, mac: prevMac } };
}

/** A chain's entries in a few multi-row inserts compiled once (insertRows), then the tenant's new head. */
async function insertChain(trx: Executor, tenantId: string, { rows, head }: Chain): Promise<void> {
  for (let start = 0; start < rows.length; start += AUDIT_ROWS_PER_INSERT) {
    await insertRows(trx, "audit", rows.slice(start, start + AUDIT_ROWS_PER_INSERT));
  }
  await setAuditHead(trx, { tenantId, hash: head.hash, mac: head.mac });
}

/** Entries held back by deferAuditEntries, per transaction, until writeDeferredAudit. */
const deferred = new WeakMap<Executor, AuditEntryInput[]>();

/**
 * From now on the entries appended in `trx` are held and written by `writeDeferredAudit`, which the caller
 * runs as the transaction's last statement before COMMIT (PostgreSQL's group commit, issue 11). Bumping a
 * tenant's audit_seq takes that tenant row's lock until the commit: written last, a group holds the lock
 * only for that statement and its commit, so the next group does its other writes meanwhile instead of
 * waiting at its first entry. The chain is the one immediate appends would make, entries in append order.
 */
export function deferAuditEntries(trx: Transaction<Database>): void {
  if (!deferred.has(trx)) deferred.set(trx, []);
}

/**
 * The head each tenant's chain will have when the last chain this process wrote commits, per store (its
 * dialect adapter): a guess, which the database checks (appendPredicted).
 */
const predictedHeads = new WeakMap<object, Map<string, ChainHead>>();

/**
 * Writes the entries held since `deferAuditEntries`. PostgreSQL only. Per tenant ONE statement, as a rule:
 * the chain is computed from the head this process predicts (the one its previous group left, perhaps not
 * committed yet), and the statement bumps audit_seq, which waits for that row's lock, and inserts the
 * entries and sets the head only if the row, once locked, holds exactly the predicted head. Otherwise (the
 * previous group rolled back, another instance or a transaction outside the group wrote entries) the
 * statement has bumped audit_seq alone and answered the real head: the chain is computed again from it and
 * written by two more statements, still under the lock. Either way the chain is the one immediate appends
 * would make.
 */
export async function writeDeferredAudit(trx: Transaction<Database>): Promise<void> {
  const held = deferred.get(trx);
  if (held === undefined) return;
  deferred.delete(trx);
  const chainKey = auditChainKeyOf(trx);
  const adapter = trx.getExecutor().adapter;
  let heads = predictedHeads.get(adapter);
  if (heads === undefined) {
    heads = new Map();
    predictedHeads.set(adapter, heads);
  }
  for (const [tenantId, entries] of byTenantInOrder(held)) {
    // No guess yet: one that cannot hold (seq -1) makes the statement answer the real head.
    const predicted = heads.get(tenantId) ?? { seq: -1, hash: "", mac: null };
    const guess = chainFrom(predicted, tenantId, entries, chainKey);
    heads.set(tenantId, guess.head);
    const query = sql<{ audit_seq: number; audit_head_hash: string; audit_head_mac: string | null }>`
      with bumped as (
        update tenants set
          audit_seq = audit_seq + ${entries.length}::int,
          audit_head_hash = case when audit_seq = ${predicted.seq}::int and audit_head_hash = ${predicted.hash}::text
            then ${guess.head.hash}::text else audit_head_hash end,
          audit_head_mac = case when audit_seq = ${predicted.seq}::int and audit_head_hash = ${predicted.hash}::text
            then ${guess.head.mac}::text else audit_head_mac end
        where id = ${tenantId}
        returning audit_seq, audit_head_hash, audit_head_mac
      ), appended as (
        insert into audit (tenant_id, seq, at, actor, action, subject, details, prev_hash, hash, mac)
        select * from unnest(
          ${guess.rows.map((row) => row.tenant_id)}::text[], ${guess.rows.map((row) => row.seq)}::int[],
          ${guess.rows.map((row) => row.at)}::text[], ${guess.rows.map((row) => row.actor)}::text[],
          ${guess.rows.map((row) => row.action)}::text[], ${guess.rows.map((row) => row.subject)}::text[],
          ${guess.rows.map((row) => row.details)}::text[], ${guess.rows.map((row) => row.prev_hash)}::text[],
          ${guess.rows.map((row) => row.hash)}::text[], ${guess.rows.map((row) => row.mac)}::text[])
        where exists (select 1 from bumped where audit_head_hash = ${guess.head.hash}::text)
      )
      select audit_seq, audit_head_hash, audit_head_mac from bumped`.compile(trx);
    // Every group runs it: a named prepared statement (store/pg-named-statements.ts).
    prepareOnPostgres(query.sql);
    const { rows } = await trx.executeQuery(query);
    const [bumped] = rows;
    if (bumped === undefined) throw new Error(`audit: unknown tenant ${tenantId}`);
    if (bumped.audit_head_hash === guess.head.hash) continue;
    // The guess did not hold: the chain from the real head, written under the lock the bump took.
    const chain = chainFrom(headBefore(bumped, entries.length), tenantId, entries, chainKey);
    heads.set(tenantId, chain.head);
    await insertChain(trx, tenantId, chain);
  }
}

/** The tenant's audit_seq bumped by `count`, answering the new seq and the head before the bump. */
const bumpAuditSeq = precompiled((db, slots: { tenantId: string; count: number }) =>
  db
    .updateTable("tenants")
    .set((eb) => ({ audit_seq: eb("audit_seq", "+", slots.count) }))
    .where("id", "=", slots.tenantId)
    .returning(["audit_seq", "audit_head_hash", "audit_head_mac"]),
);

const setAuditHead = precompiled((db, slots: { tenantId: string; hash: string; mac: string | null }) =>
  db
    .updateTable("tenants")
    .set({ audit_head_hash: slots.hash, audit_head_mac: slots.mac })
    .where("id", "=", slots.tenantId),
);

/** Rows per multi-row insert: 10 columns each stays far below SQLite's 32,766 bound parameters. */
const AUDIT_ROWS_PER_INSERT = 500;

function entryMac(key: Buffer, previousMac: string, hash: string): string {
  return createHmac("sha256", key).update(`${previousMac}\n${hash}`).digest("hex");
}

function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
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
  options: { chainKey?: Buffer } = {},
): Promise<AuditChainReport[]> {
  let tenantsQuery = db
    .selectFrom("tenants")
    .select(["id", "ntn", "audit_seq", "audit_head_hash", "audit_head_mac"]);
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
    let prevMac: string | null = null;
    let expectedSeq = 1;
    let firstBroken: AuditChainReport["firstBroken"];
    const key = options.chainKey;
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
      if (key !== undefined) {
        // Unkeyed entries may only precede the first keyed one (a chain written before keys existed).
        if (row.mac === null) {
          if (prevMac !== null) {
            firstBroken = { seq, reason: `entry ${seq} has no MAC although the chain is keyed before it` };
            break;
          }
        } else if (!sameHex(row.mac, entryMac(key, prevMac ?? "", row.hash))) {
          firstBroken = {
            seq,
            reason: `entry ${seq} does not match its MAC (altered and rehashed by someone without the key)`,
          };
          break;
        } else if (prevMac === null && seq > 1 && row.action !== "audit.keyed") {
          firstBroken = {
            seq,
            reason: `entry ${seq} starts the keyed chain but is not an audit.keyed entry`,
          };
          break;
        }
        prevMac = row.mac;
      }
      prev = row.hash;
      expectedSeq += 1;
    }
    if (firstBroken === undefined && key !== undefined && rows.length > 0) {
      if (prevMac === null) {
        firstBroken = {
          seq: 1,
          reason:
            "the chain carries no MAC at all (never opened by a keyed gateway, or its MACs were removed)",
        };
      } else if (tenant.audit_head_mac === null || !sameHex(tenant.audit_head_mac, prevMac)) {
        firstBroken = { seq: rows.length, reason: "the recorded head MAC does not match the chain" };
      }
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

/**
 * Keys the chains written before keys existed (migration path): a tenant whose head has no MAC yet and
 * whose SHA-256 chain verifies gets an `audit.keyed` entry, the first with a MAC. A chain that does not
 * verify is left alone (and reported by `raseed audit verify`): keying it would launder the break.
 * Returns the ids of the tenants adopted. Needs the store's chain key registered.
 */
export async function adoptUnkeyedChains(db: Kysely<Database>): Promise<string[]> {
  if (auditChainKeyOf(db) === undefined) throw new Error("adoptUnkeyedChains: no chain key registered");
  const tenants = await db
    .selectFrom("tenants")
    .select(["id", "audit_seq"])
    .where("audit_head_mac", "is", null)
    .where("audit_seq", ">", 0)
    .execute();
  const adopted: string[] = [];
  for (const tenant of tenants) {
    const [report] = await verifyAuditChains(db, tenant.id);
    if (report === undefined || !report.ok) continue;
    await db.transaction().execute(async (trx) => {
      await appendAudit(trx, {
        tenantId: tenant.id,
        actor: "system",
        action: "audit.keyed",
        details: { keyedFromSeq: Number(tenant.audit_seq) + 1 },
      });
    });
    adopted.push(tenant.id);
  }
  return adopted;
}
