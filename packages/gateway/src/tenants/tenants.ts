// Tenants (one per seller NTN) and their API keys. FBR tokens are sealed under the master key; API keys
// are stored as hashes only and shown once, at creation.
import { randomBytes } from "node:crypto";
import { IMS_AUTHORITIES, type ImsAuthority, provinceRows } from "@raseed/sdk";
import { type Kysely, sql } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { resumeTenantOutbox } from "../outbox/outbox-sql.ts";
import { precompiled } from "../store/compiled-query.ts";
import { newId, nowIso, sha256Hex } from "../store/ids.ts";
import { batchPerStore, isPostgres, ReadBatch } from "../store/pg-read-batch.ts";
import type { Database, TenantRow } from "../store/schema.ts";
import {
  type ChangeStamp,
  changeWatches,
  type SqliteChangeWatch,
  sameStamp,
} from "../store/sqlite-changes.ts";
import { decryptSecret, encryptSecret } from "./secret-box.ts";

export const apiKeyScopes = [
  "invoices:read",
  "invoices:write",
  "reference:read",
  "webhooks:manage",
  // /metrics covers every tenant of the installation, so it is for the operator's monitoring key only,
  // never part of a tenant's default key.
  "metrics:read",
] as const;
/** What a new key gets when no scopes are given: everything a tenant's ERP needs, not metrics. */
export const defaultApiKeyScopes: readonly ApiKeyScope[] = [
  "invoices:read",
  "invoices:write",
  "reference:read",
  "webhooks:manage",
];
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export class TenantError extends Error {
  override readonly name = "TenantError";
}

export interface NewTenant {
  ntn: string;
  name: string;
  province: string;
  address: string;
  environment: "sandbox" | "production";
  fbrToken: string;
  /** Who the tenant's POS terminals report to on the IMS channel; FBR unless given. */
  imsAuthority?: ImsAuthority;
}

export interface TenantSummary {
  id: string;
  ntn: string;
  name: string;
  province: string;
  environment: "sandbox" | "production";
  /** The revenue authority the tenant's POS terminals (IMS channel) report to: "fbr" or "pra". */
  imsAuthority: ImsAuthority;
  paused: boolean;
  pausedReason: string | null;
  /** When `raseed tenant disable` disabled it; null while enabled. */
  disabledAt: string | null;
  createdAt: string;
}

export function summariseTenant(row: TenantRow): TenantSummary {
  return {
    id: row.id,
    ntn: row.ntn,
    name: row.name,
    province: row.province,
    environment: row.environment,
    imsAuthority: row.ims_authority,
    paused: row.paused_at !== null,
    pausedReason: row.paused_reason,
    disabledAt: row.disabled_at ?? null,
    createdAt: row.created_at,
  };
}

/**
 * The province, trimmed and as the user spelt it (FBR compares without case: PRAL's samples send "Sindh", the
 * list says "SINDH"), or a TenantError naming the valid ones: FBR refuses every invoice whose sellerProvince is
 * not on /pdi/v1/provinces (0073), so a wrong one is refused here, once.
 */
export function fbrProvince(province: string): string {
  const wanted = province.trim().toUpperCase();
  const names = provinceRows().map((row) => row.stateProvinceDesc.trim().toUpperCase());
  if (!names.includes(wanted)) {
    throw new TenantError(
      `province "${province}" is not one of FBR's provinces (${names.join(", ")}); FBR would refuse every invoice with 0073`,
    );
  }
  return province.trim();
}

/**
 * The IMS authority as given (any case), or a TenantError naming the known ones: FBR's IMS, or PRA (Punjab
 * Revenue Authority), which runs the same model on its own hosts (spec/data/ims-authorities.json).
 */
export function parseImsAuthority(value: string): ImsAuthority {
  const wanted = value.trim().toLowerCase();
  const known = Object.keys(IMS_AUTHORITIES) as ImsAuthority[];
  const found = known.find((authority) => authority === wanted);
  if (found === undefined) {
    throw new TenantError(
      `IMS authority "${value}" is not one of ${known.map((a) => `${a} (${IMS_AUTHORITIES[a].name})`).join(", ")}`,
    );
  }
  return found;
}

export interface TenantChanges {
  name?: string;
  province?: string;
  address?: string;
  environment?: "sandbox" | "production";
  imsAuthority?: string;
}

/**
 * Changes a tenant's seller details, FBR environment or IMS authority; one audit entry lists what changed,
 * from and to. A new IMS authority applies to the next post of every IMS sale (queued ones included).
 */
export async function updateTenant(
  db: Kysely<Database>,
  idOrNtn: string,
  changes: TenantChanges,
  actor = "cli",
): Promise<TenantSummary> {
  const tenant = await requireTenant(db, idOrNtn);
  const next = {
    name: changes.name?.trim(),
    province: changes.province === undefined ? undefined : fbrProvince(changes.province),
    address: changes.address?.trim(),
    environment: changes.environment,
    ims_authority: changes.imsAuthority === undefined ? undefined : parseImsAuthority(changes.imsAuthority),
  };
  if (next.name === "") throw new TenantError("name must not be empty");
  if (next.address === "") throw new TenantError("address must not be empty");
  const changed: Record<string, { from: string; to: string }> = {};
  for (const field of ["name", "province", "address", "environment", "ims_authority"] as const) {
    const value = next[field];
    // The audit entry names each field as the API and CLI do (imsAuthority, not ims_authority).
    const name = field === "ims_authority" ? "imsAuthority" : field;
    if (value !== undefined && value !== tenant[field]) changed[name] = { from: tenant[field], to: value };
  }
  if (Object.keys(changed).length === 0) return summariseTenant(tenant);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("tenants")
      .set({
        ...(changed.name !== undefined ? { name: changed.name.to } : {}),
        ...(changed.province !== undefined ? { province: changed.province.to } : {}),
        ...(changed.address !== undefined ? { address: changed.address.to } : {}),
        ...(next.environment !== undefined && changed.environment !== undefined
          ? { environment: next.environment }
          : {}),
        ...(next.ims_authority !== undefined && changed.imsAuthority !== undefined
          ? { ims_authority: next.ims_authority }
          : {}),
        updated_at: nowIso(),
      })
      .where("id", "=", tenant.id)
      .execute();
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: "tenant.updated",
      subject: tenant.id,
      details: changed,
    });
  });
  return summariseTenant(await requireTenant(db, tenant.id));
}

/**
 * Disables a tenant (off-boarding a seller): its API keys are refused (401) and its people can no longer sign
 * in, at once. Invoices it already handed over keep going to FBR: they are the seller's reports, and stopping
 * them would lose them. `enabled: true` undoes it. Audited either way; a no-op when nothing changes.
 */
export async function setTenantDisabled(
  db: Kysely<Database>,
  idOrNtn: string,
  disabled: boolean,
  actor = "cli",
): Promise<TenantSummary> {
  const tenant = await requireTenant(db, idOrNtn);
  if ((tenant.disabled_at !== null) === disabled) return summariseTenant(tenant);
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("tenants")
      .set({ disabled_at: disabled ? now : null, updated_at: now })
      .where("id", "=", tenant.id)
      .execute();
    // Signed-in people are signed out now, not at their next idle timeout.
    if (disabled) await trx.deleteFrom("sessions").where("tenant_id", "=", tenant.id).execute();
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: disabled ? "tenant.disabled" : "tenant.enabled",
      subject: tenant.id,
    });
  });
  return summariseTenant(await requireTenant(db, tenant.id));
}

export interface ApiKeySummary {
  id: string;
  tenantId: string;
  tenantNtn: string;
  label: string | null;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
  /** When the key last did something the audit log records (a submission, reconcile, retry...); null if never. */
  lastUsedAt: string | null;
}

/** Every API key (of one tenant, or all), without the key itself: only its hash is stored. */
export async function listApiKeys(db: Kysely<Database>, tenantIdOrNtn?: string): Promise<ApiKeySummary[]> {
  const tenant = tenantIdOrNtn === undefined ? undefined : await requireTenant(db, tenantIdOrNtn);
  let query = db
    .selectFrom("api_keys")
    .innerJoin("tenants", "tenants.id", "api_keys.tenant_id")
    .select([
      "api_keys.id",
      "api_keys.tenant_id",
      "tenants.ntn",
      "api_keys.label",
      "api_keys.scopes",
      "api_keys.created_at",
      "api_keys.revoked_at",
    ])
    .orderBy("api_keys.created_at");
  if (tenant !== undefined) query = query.where("api_keys.tenant_id", "=", tenant.id);
  const rows = await query.execute();
  const summaries: ApiKeySummary[] = [];
  for (const row of rows) {
    const used = await db
      .selectFrom("audit")
      .select((eb) => eb.fn.max("at").as("last"))
      .where("tenant_id", "=", row.tenant_id)
      .where("actor", "=", `api:${row.id}`)
      .executeTakeFirst();
    summaries.push({
      id: row.id,
      tenantId: row.tenant_id,
      tenantNtn: row.ntn,
      label: row.label,
      scopes: row.scopes.split(",").filter((scope) => scope !== ""),
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
      lastUsedAt: (used?.last as string | null | undefined) ?? null,
    });
  }
  return summaries;
}

export async function addTenant(
  db: Kysely<Database>,
  masterKey: Buffer,
  input: NewTenant,
  actor = "cli",
): Promise<TenantSummary> {
  // FBR NTNs are 7 digits (or a 13-digit CNIC for individuals).
  if (!/^(\d{7}|\d{13})$/.test(input.ntn))
    throw new TenantError("ntn must be 7 digits (NTN) or 13 digits (CNIC)");
  if (input.fbrToken.trim() === "") throw new TenantError("the FBR token must not be empty");
  const province = fbrProvince(input.province);
  const authority = parseImsAuthority(input.imsAuthority ?? "fbr");
  const existing = await db
    .selectFrom("tenants")
    .select("id")
    .where("ntn", "=", input.ntn)
    .executeTakeFirst();
  if (existing !== undefined)
    throw new TenantError(`a tenant for NTN ${input.ntn} already exists (${existing.id})`);
  const id = newId("ten");
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("tenants")
      .values({
        id,
        ntn: input.ntn,
        name: input.name,
        province,
        address: input.address,
        environment: input.environment,
        ims_authority: authority,
        fbr_token_enc: encryptSecret(masterKey, input.fbrToken, id),
        paused_at: null,
        paused_reason: null,
        audit_seq: 0,
        audit_head_hash: "",
        created_at: now,
        updated_at: now,
      })
      .execute();
    await appendAudit(trx, {
      tenantId: id,
      actor,
      action: "tenant.created",
      subject: id,
      details: { ntn: input.ntn, name: input.name, environment: input.environment, imsAuthority: authority },
    });
  });
  const row = await db.selectFrom("tenants").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  return summariseTenant(row);
}

export async function listTenants(db: Kysely<Database>): Promise<TenantSummary[]> {
  const rows = await db.selectFrom("tenants").selectAll().orderBy("created_at").execute();
  return rows.map(summariseTenant);
}

/** Finds a tenant by its id or its NTN. */
export async function findTenant(db: Kysely<Database>, idOrNtn: string): Promise<TenantRow | undefined> {
  return db
    .selectFrom("tenants")
    .selectAll()
    .where((eb) => eb.or([eb("id", "=", idOrNtn), eb("ntn", "=", idOrNtn)]))
    .executeTakeFirst();
}

export async function requireTenant(db: Kysely<Database>, idOrNtn: string): Promise<TenantRow> {
  const tenant = await findTenant(db, idOrNtn);
  if (tenant === undefined) throw new TenantError(`no tenant with id or NTN ${idOrNtn}`);
  return tenant;
}

export function tenantFbrToken(masterKey: Buffer, tenant: TenantRow): string {
  return decryptSecret(masterKey, tenant.fbr_token_enc, tenant.id);
}

/**
 * Writes new credentials (the FBR token, or the transport: tenants/transport.ts). New credentials are a
 * reason to try again: the pause is lifted and the tenant's paused invoices go back to the queue, in the
 * same transaction as the change and its audit entry. Answers how many invoices resumed.
 */
export async function changeTenantCredentials(
  db: Kysely<Database>,
  tenant: TenantRow,
  columns: { fbr_token_enc?: string; transport_enc?: string | null },
  audit: { action: string; details: Record<string, unknown> },
  actor: string,
): Promise<number> {
  let resumed = 0;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("tenants")
      .set({ ...columns, paused_at: null, paused_reason: null, updated_at: nowIso() })
      .where("id", "=", tenant.id)
      .execute();
    resumed = await resumeTenantOutbox(trx, tenant.id, actor);
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: audit.action,
      subject: tenant.id,
      details: { ...audit.details, resumedInvoices: resumed, wasPaused: tenant.paused_at !== null },
    });
  });
  return resumed;
}

/**
 * Replaces the FBR token. A paused tenant (FBR refused the old token) resumes: its paused invoices go
 * back to the queue in the same transaction.
 */
export async function setTenantToken(
  db: Kysely<Database>,
  masterKey: Buffer,
  idOrNtn: string,
  fbrToken: string,
  actor = "cli",
): Promise<{ tenant: TenantSummary; resumed: number }> {
  if (fbrToken.trim() === "") throw new TenantError("the FBR token must not be empty");
  const tenant = await requireTenant(db, idOrNtn);
  const resumed = await changeTenantCredentials(
    db,
    tenant,
    { fbr_token_enc: encryptSecret(masterKey, fbrToken, tenant.id) },
    { action: "tenant.token_changed", details: {} },
    actor,
  );
  const row = await db
    .selectFrom("tenants")
    .selectAll()
    .where("id", "=", tenant.id)
    .executeTakeFirstOrThrow();
  return { tenant: summariseTenant(row), resumed };
}

export interface CreatedApiKey {
  id: string;
  tenantId: string;
  /** The secret itself: shown once, never stored. */
  key: string;
  scopes: ApiKeyScope[];
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

export async function createApiKey(
  db: Kysely<Database>,
  tenantIdOrNtn: string,
  options: { scopes?: readonly string[]; label?: string; actor?: string } = {},
): Promise<CreatedApiKey> {
  const tenant = await requireTenant(db, tenantIdOrNtn);
  const scopes = (options.scopes ?? defaultApiKeyScopes).map((s) => s.trim()).filter((s) => s !== "");
  for (const scope of scopes) {
    if (!(apiKeyScopes as readonly string[]).includes(scope)) {
      throw new TenantError(`unknown scope "${scope}" (known: ${apiKeyScopes.join(", ")})`);
    }
  }
  if (scopes.length === 0) throw new TenantError("an API key needs at least one scope");
  const id = newId("key");
  const key = `rsd_${randomBytes(32).toString("base64url")}`;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("api_keys")
      .values({
        id,
        tenant_id: tenant.id,
        key_hash: hashApiKey(key),
        scopes: scopes.join(","),
        label: options.label ?? null,
        created_at: nowIso(),
        revoked_at: null,
      })
      .execute();
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor: options.actor ?? "cli",
      action: "api_key.created",
      subject: id,
      details: { scopes, label: options.label ?? null },
    });
  });
  return { id, tenantId: tenant.id, key, scopes: scopes as ApiKeyScope[] };
}

export async function revokeApiKey(db: Kysely<Database>, keyId: string, actor = "cli"): Promise<void> {
  const row = await db.selectFrom("api_keys").selectAll().where("id", "=", keyId).executeTakeFirst();
  if (row === undefined) throw new TenantError(`no API key with id ${keyId}`);
  if (row.revoked_at !== null) return;
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("api_keys").set({ revoked_at: nowIso() }).where("id", "=", keyId).execute();
    await appendAudit(trx, { tenantId: row.tenant_id, actor, action: "api_key.revoked", subject: keyId });
  });
}

export interface AuthenticatedKey {
  keyId: string;
  tenantId: string;
  scopes: ReadonlySet<string>;
  /**
   * The key's tenant as it was when the request came in; its audit chain head (audit_seq, audit_head_*)
   * only as it was when the key was last read (on SQLite the read is kept while nothing else changes).
   */
  tenant: TenantRow;
}

/** API keys joined to their tenants, with what authentication reads of the key. */
const keysJoinedToTenants = (db: Kysely<Database>) =>
  db
    .selectFrom("api_keys")
    .innerJoin("tenants", "tenants.id", "api_keys.tenant_id")
    .selectAll("tenants")
    .select([
      "api_keys.id as key_id",
      "api_keys.scopes as key_scopes",
      "api_keys.revoked_at as key_revoked_at",
      "api_keys.key_hash as key_hash",
    ]);

/** The key and its tenant in one query (every authenticated request needs both), compiled once. */
const keyWithTenant = precompiled((db, slots: { keyHash: string }) =>
  keysJoinedToTenants(db).where("api_keys.key_hash", "=", slots.keyHash),
);

/** The same for many keys at once: PostgreSQL's concurrent requests share one (store/pg-read-batch.ts). */
const keysWithTenants = precompiled((db, slots: { keyHashes: string[] }) =>
  keysJoinedToTenants(db).where("api_keys.key_hash", "=", sql<string>`any(${slots.keyHashes}::text[])`),
);

const keyBatch = batchPerStore(
  (db) =>
    new ReadBatch(
      (keyHashes) => keysWithTenants(db, { keyHashes }),
      (row) => row.key_hash,
    ),
);

type KeyWithTenantRow = Awaited<ReturnType<typeof keyWithTenant>>[number];

/**
 * PostgreSQL: keys with their tenants, each beside the hits `rate_limit_windows` holds under a counter key and
 * window the caller names (auth.ts: the client address's failed authentications), for the requests of one
 * turn in ONE query (issue 11: the address's count had been a query of its own before every key lookup).
 * Every wanted entry answers a row, its key columns null when the key is unknown.
 */
const keysWithCounts = precompiled(
  (db, slots: { wanted: string[]; keyHashes: string[]; countKeys: string[]; windows: number[] }) => {
    const query = sql<KeyWithTenantRow & { wanted: string; counted_hits: number | null }>`
      select w.wanted, r.hits as counted_hits, k.*
      from unnest(${slots.wanted}::text[], ${slots.keyHashes}::text[], ${slots.countKeys}::text[],
        ${slots.windows}::int[]) as w(wanted, key_hash, count_key, count_window)
      left join lateral (
        select tenants.*, api_keys.id as key_id, api_keys.scopes as key_scopes,
          api_keys.revoked_at as key_revoked_at, api_keys.key_hash as key_hash
        from api_keys join tenants on tenants.id = api_keys.tenant_id
        where api_keys.key_hash = w.key_hash) as k on true
      left join rate_limit_windows r on r.key = w.count_key and r."window" = w.count_window`;
    return { compile: () => query.compile(db) };
  },
);

const keyAndCountBatch = batchPerStore(
  (db) =>
    new ReadBatch(
      (wanted) => {
        const parts = wanted.map((entry) => JSON.parse(entry) as [string, string, number]);
        return keysWithCounts(db, {
          wanted,
          keyHashes: parts.map(([keyHash]) => keyHash),
          countKeys: parts.map(([, countKey]) => countKey),
          windows: parts.map(([, , window]) => window),
        });
      },
      (row) => row.wanted,
    ),
);

/** Authenticated keys kept per SQLite store, each with the change stamp taken before it was read. */
const authCache = new WeakMap<
  SqliteChangeWatch,
  Map<string, { stamp: ChangeStamp; auth: AuthenticatedKey }>
>();
/** Keys kept per store at most (a safety net: an installation has a few keys per tenant). */
const AUTH_CACHE_KEYS = 1_000;

export async function authenticateApiKey(
  db: Kysely<Database>,
  key: string,
): Promise<AuthenticatedKey | undefined> {
  // A revoked key or a disabled tenant is refused at once, by this instance and by every other one sharing
  // the database. On PostgreSQL the key is read on every request, and the requests of one turn share the
  // query, which starts after each of them arrived. On SQLite a key read before is answered from memory
  // while nothing that could change it was written since, by this gateway or by any other process, as told
  // by a change stamp the requests of one turn share, taken after each of them arrived
  // (store/sqlite-changes.ts); anything else reads it again.
  const keyHash = hashApiKey(key);
  if (db.isTransaction) return authenticatedFrom((await keyWithTenant(db, { keyHash }))[0]);
  if (isPostgres(db)) return authenticatedFrom(await keyBatch(db).get(keyHash));
  const watch = changeWatches.get(db);
  let cached = watch === undefined ? undefined : authCache.get(watch);
  const known = cached?.get(keyHash);
  if (known !== undefined && watch !== undefined && sameStamp(await watch.stampAfterTurn(), known.stamp)) {
    return known.auth;
  }
  // Taken before the read: a write that lands between them makes the copy stale at once.
  const stamp = watch?.stamp();
  const auth = authenticatedFrom((await keyWithTenant(db, { keyHash }))[0]);
  if (watch === undefined || stamp === undefined) return auth;
  if (auth === undefined) {
    cached?.delete(keyHash);
    return undefined;
  }
  if (cached === undefined) {
    cached = new Map();
    authCache.set(watch, cached);
  }
  if (cached.size >= AUTH_CACHE_KEYS) cached.clear();
  cached.set(keyHash, { stamp, auth });
  return auth;
}

/**
 * PostgreSQL: authenticateApiKey, and the hits counted under `counted.key` in window `counted.window`, read
 * by one query that starts after the call (shared with the calls of the same turn): both exactly as fresh
 * as two queries of their own.
 */
export async function authenticateApiKeyCounting(
  db: Kysely<Database>,
  key: string,
  counted: { key: string; window: number },
): Promise<{ auth: AuthenticatedKey | undefined; hits: number }> {
  const row = await keyAndCountBatch(db).get(JSON.stringify([hashApiKey(key), counted.key, counted.window]));
  return {
    auth: row === undefined || row.key_id === null ? undefined : authenticatedFrom(row),
    hits: Number(row?.counted_hits ?? 0),
  };
}

/** The key's grant from its row, or undefined when the key is unknown, revoked or its tenant disabled. */
function authenticatedFrom(row: KeyWithTenantRow | undefined): AuthenticatedKey | undefined {
  if (row === undefined || row.key_revoked_at !== null || row.disabled_at !== null) return undefined;
  // Spelled out: an object rest (`...tenant`) copied the row through a slow runtime path on every request.
  // Frozen: on SQLite one copy answers many requests (authenticateApiKey).
  const tenant: TenantRow = Object.freeze({
    id: row.id,
    ntn: row.ntn,
    name: row.name,
    province: row.province,
    address: row.address,
    environment: row.environment,
    ims_authority: row.ims_authority,
    fbr_token_enc: row.fbr_token_enc,
    transport_enc: row.transport_enc,
    paused_at: row.paused_at,
    paused_reason: row.paused_reason,
    disabled_at: row.disabled_at,
    audit_seq: row.audit_seq,
    audit_head_hash: row.audit_head_hash,
    audit_head_mac: row.audit_head_mac,
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
  return Object.freeze({
    keyId: row.key_id,
    tenantId: tenant.id,
    scopes: new Set(row.key_scopes.split(",")),
    tenant,
  });
}
