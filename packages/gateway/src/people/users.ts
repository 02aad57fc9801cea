// People: dashboard sign-ins with a role, one tenant each. Separate from API keys (machines): neither
// ever works in place of the other. Passwords are scrypt hashes (passwords.ts) and never logged.
import type { Kysely, Transaction } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { newId, nowIso } from "../store/ids.ts";
import { type Database, type UserRole, type UserRow, userRoles } from "../store/schema.ts";
import { requireTenant, TenantError } from "../tenants/tenants.ts";
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from "./passwords.ts";

/** Consecutive wrong passwords before an account is locked, and for how long. */
export const ACCOUNT_LOCK_AFTER = 5;
export const ACCOUNT_LOCK_MS = 15 * 60_000;

export interface UserSummary {
  id: string;
  tenantId: string;
  email: string;
  role: UserRole;
  disabled: boolean;
  lockedUntil: string | null;
  createdAt: string;
}

export function summariseUser(row: UserRow): UserSummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    role: row.role,
    disabled: row.disabled_at !== null,
    lockedUntil: row.locked_until,
    createdAt: row.created_at,
  };
}

/** The audit actor for a person: readable in the trail, stable across password changes. */
export function personActor(user: Pick<UserRow, "email">): string {
  return `user:${user.email}`;
}

function normaliseEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  // Deliberately loose (one @, something on both sides): the address is a sign-in name, not a mailbox we write to.
  if (!/^[^\s@]+@[^\s@]+$/.test(trimmed) || trimmed.length > 254) {
    throw new TenantError(`"${email}" is not an email address`);
  }
  return trimmed;
}

export function parseRole(role: string): UserRole {
  if (!(userRoles as readonly string[]).includes(role)) {
    throw new TenantError(`--role must be one of ${userRoles.join(", ")}, got "${role}"`);
  }
  return role as UserRole;
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new TenantError(problem);
}

export async function addUser(
  db: Kysely<Database>,
  input: { tenant: string; email: string; role: string; password: string },
  actor = "cli",
): Promise<UserSummary> {
  const tenant = await requireTenant(db, input.tenant);
  const email = normaliseEmail(input.email);
  const role = parseRole(input.role);
  checkPassword(input.password);
  const existing = await db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
  if (existing !== undefined) throw new TenantError(`a person with email ${email} already exists`);
  const now = nowIso();
  const row: UserRow = {
    id: newId("usr"),
    tenant_id: tenant.id,
    email,
    role,
    password_hash: await hashPassword(input.password),
    failed_sign_ins: 0,
    locked_until: null,
    disabled_at: null,
    created_at: now,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("users").values(row).execute();
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: "user.created",
      subject: row.id,
      details: { email, role },
    });
  });
  return summariseUser(row);
}

export async function listUsers(db: Kysely<Database>, tenantIdOrNtn: string): Promise<UserSummary[]> {
  const tenant = await requireTenant(db, tenantIdOrNtn);
  const rows = await db
    .selectFrom("users")
    .selectAll()
    .where("tenant_id", "=", tenant.id)
    .orderBy("email")
    .execute();
  return rows.map(summariseUser);
}

export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
}

async function requireUser(db: Kysely<Database>, email: string, tenantId?: string): Promise<UserRow> {
  const user = await findUserByEmail(db, email);
  // Another tenant's person is "not found" for a tenant's admin, exactly like an unknown one.
  if (user === undefined || (tenantId !== undefined && user.tenant_id !== tenantId)) {
    throw new TenantError(`no person with email ${email.trim().toLowerCase()}`);
  }
  return user;
}

/** Disables the account and ends its sessions at once. `tenantId` limits a tenant admin to their own people. */
export async function disableUser(
  db: Kysely<Database>,
  email: string,
  actor = "cli",
  tenantId?: string,
): Promise<UserSummary> {
  const user = await requireUser(db, email, tenantId);
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("users")
      .set({ disabled_at: user.disabled_at ?? now, updated_at: now })
      .where("id", "=", user.id)
      .execute();
    await endSessionsAndAudit(trx, user, actor, "user.disabled");
  });
  return summariseUser({ ...user, disabled_at: user.disabled_at ?? now });
}

/** Ends every session the person had and records the change, inside the caller's transaction. */
async function endSessionsAndAudit(
  trx: Transaction<Database>,
  user: UserRow,
  actor: string,
  action: "user.disabled" | "user.password_reset",
): Promise<void> {
  await trx.deleteFrom("sessions").where("user_id", "=", user.id).execute();
  await appendAudit(trx, {
    tenantId: user.tenant_id,
    actor,
    action,
    subject: user.id,
    details: { email: user.email },
  });
}

/** Sets a new password, clears the lock-out, and ends every session the person had. */
export async function resetPassword(
  db: Kysely<Database>,
  email: string,
  password: string,
  actor = "cli",
  tenantId?: string,
): Promise<UserSummary> {
  const user = await requireUser(db, email, tenantId);
  checkPassword(password);
  const hash = await hashPassword(password);
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("users")
      .set({ password_hash: hash, failed_sign_ins: 0, locked_until: null, updated_at: now })
      .where("id", "=", user.id)
      .execute();
    await endSessionsAndAudit(trx, user, actor, "user.password_reset");
  });
  return summariseUser({ ...user, failed_sign_ins: 0, locked_until: null });
}

export type SignInResult =
  | { ok: true; user: UserRow }
  | { ok: false; reason: "invalid" | "locked"; lockedUntil?: string };

/**
 * Checks an email and password. Wrong passwords count per account; after ACCOUNT_LOCK_AFTER in a row the
 * account is locked for ACCOUNT_LOCK_MS (a correct password does not open a locked account). Every outcome
 * on a known account is an audit entry of that tenant. An unknown email costs a hash too, so timing does
 * not tell which addresses exist.
 */
export async function checkSignIn(
  db: Kysely<Database>,
  email: string,
  password: string,
  address: string,
  now: Date = new Date(),
): Promise<SignInResult> {
  const user = await findUserByEmail(db, email);
  const tenant =
    user === undefined
      ? undefined
      : await db
          .selectFrom("tenants")
          .select("disabled_at")
          .where("id", "=", user.tenant_id)
          .executeTakeFirst();
  // A person of a disabled tenant is refused like an unknown one (raseed tenant disable).
  if (
    user === undefined ||
    user.disabled_at !== null ||
    tenant === undefined ||
    tenant.disabled_at !== null
  ) {
    await verifyPassword(password, await decoyHash());
    return { ok: false, reason: "invalid" };
  }
  if (user.locked_until !== null && user.locked_until > now.toISOString()) {
    await verifyPassword(password, await decoyHash());
    return { ok: false, reason: "locked", lockedUntil: user.locked_until };
  }
  const good = await verifyPassword(password, user.password_hash);
  await db.transaction().execute(async (trx) => {
    if (good) {
      await trx
        .updateTable("users")
        .set({ failed_sign_ins: 0, locked_until: null })
        .where("id", "=", user.id)
        .execute();
      return;
    }
    const failures = Number(user.failed_sign_ins) + 1;
    const lock = failures >= ACCOUNT_LOCK_AFTER;
    await trx
      .updateTable("users")
      .set({
        failed_sign_ins: lock ? 0 : failures,
        locked_until: lock ? new Date(now.getTime() + ACCOUNT_LOCK_MS).toISOString() : null,
      })
      .where("id", "=", user.id)
      .execute();
    await appendAudit(trx, {
      tenantId: user.tenant_id,
      actor: personActor(user),
      action: lock ? "user.locked" : "user.sign_in_failed",
      subject: user.id,
      details: { address, failures },
    });
  });
  return good ? { ok: true, user } : { ok: false, reason: "invalid" };
}
