// Tenants (one per seller NTN) and their API keys. FBR tokens are sealed under the master key; API keys
// are stored as hashes only and shown once, at creation.
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { resumeTenantOutbox } from "../outbox/outbox-sql.ts";
import { newId, nowIso, sha256Hex } from "../store/ids.ts";
import type { Database, TenantRow } from "../store/schema.ts";
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
}

export interface TenantSummary {
  id: string;
  ntn: string;
  name: string;
  province: string;
  environment: "sandbox" | "production";
  paused: boolean;
  pausedReason: string | null;
  createdAt: string;
}

export function summariseTenant(row: TenantRow): TenantSummary {
  return {
    id: row.id,
    ntn: row.ntn,
    name: row.name,
    province: row.province,
    environment: row.environment,
    paused: row.paused_at !== null,
    pausedReason: row.paused_reason,
    createdAt: row.created_at,
  };
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
        province: input.province,
        address: input.address,
        environment: input.environment,
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
      details: { ntn: input.ntn, name: input.name, environment: input.environment },
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
  let resumed = 0;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("tenants")
      .set({
        fbr_token_enc: encryptSecret(masterKey, fbrToken, tenant.id),
        paused_at: null,
        paused_reason: null,
        updated_at: nowIso(),
      })
      .where("id", "=", tenant.id)
      .execute();
    resumed = await resumeTenantOutbox(trx, tenant.id, actor);
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: "tenant.token_changed",
      subject: tenant.id,
      details: { resumedInvoices: resumed, wasPaused: tenant.paused_at !== null },
    });
  });
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
  /** The key's tenant as it was when the request came in. */
  tenant: TenantRow;
}

export async function authenticateApiKey(
  db: Kysely<Database>,
  key: string,
): Promise<AuthenticatedKey | undefined> {
  // One query for the key and its tenant: every authenticated request needs both.
  const row = await db
    .selectFrom("api_keys")
    .innerJoin("tenants", "tenants.id", "api_keys.tenant_id")
    .selectAll("tenants")
    .select([
      "api_keys.id as key_id",
      "api_keys.scopes as key_scopes",
      "api_keys.revoked_at as key_revoked_at",
    ])
    .where("api_keys.key_hash", "=", hashApiKey(key))
    .executeTakeFirst();
  if (row === undefined || row.key_revoked_at !== null) return undefined;
  const { key_id, key_scopes, key_revoked_at: _revoked, ...tenant } = row;
  return { keyId: key_id, tenantId: tenant.id, scopes: new Set(key_scopes.split(",")), tenant };
}
