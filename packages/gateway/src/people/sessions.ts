// Server-side sessions for people. The cookie holds 256 random bits; the table holds only their SHA-256,
// with the session's CSRF token (synchronizer pattern: every form carries it, checked against this row).
// Sessions end after `idleMs` without a request, on sign-out, and when the person is disabled or reset.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { nowIso, sha256Hex } from "../store/ids.ts";
import type { Database, SessionRow, TenantRow, UserRow } from "../store/schema.ts";
import { personActor } from "./users.ts";

/** last_seen_at is written at most this often, so reading pages does not turn into a write per request. */
const TOUCH_EVERY_MS = 60_000;

export interface SignedIn {
  session: SessionRow;
  user: UserRow;
  tenant: TenantRow;
}

export async function createSession(
  db: Kysely<Database>,
  user: UserRow,
  address: string,
): Promise<{ cookieValue: string; csrfToken: string }> {
  const cookieValue = randomBytes(32).toString("base64url");
  const csrfToken = randomBytes(32).toString("base64url");
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("sessions")
      .values({
        id_hash: sha256Hex(cookieValue),
        user_id: user.id,
        tenant_id: user.tenant_id,
        csrf_token: csrfToken,
        created_at: now,
        last_seen_at: now,
      })
      .execute();
    await appendAudit(trx, {
      tenantId: user.tenant_id,
      actor: personActor(user),
      action: "user.signed_in",
      subject: user.id,
      details: { address },
    });
  });
  return { cookieValue, csrfToken };
}

/** The session behind a cookie, if it exists, is not idle for longer than idleMs, and its person is enabled. */
export async function loadSession(
  db: Kysely<Database>,
  cookieValue: string,
  idleMs: number,
  now: Date = new Date(),
): Promise<SignedIn | undefined> {
  const idHash = sha256Hex(cookieValue);
  const session = await db
    .selectFrom("sessions")
    .selectAll()
    .where("id_hash", "=", idHash)
    .executeTakeFirst();
  if (session === undefined) return undefined;
  const idleFor = now.getTime() - Date.parse(session.last_seen_at);
  if (idleFor > idleMs) {
    await db.deleteFrom("sessions").where("id_hash", "=", idHash).execute();
    return undefined;
  }
  const user = await db.selectFrom("users").selectAll().where("id", "=", session.user_id).executeTakeFirst();
  const tenant = await db
    .selectFrom("tenants")
    .selectAll()
    .where("id", "=", session.tenant_id)
    .executeTakeFirst();
  if (
    user === undefined ||
    tenant === undefined ||
    user.disabled_at !== null ||
    tenant.disabled_at !== null
  ) {
    return undefined;
  }
  if (idleFor > TOUCH_EVERY_MS) {
    await db
      .updateTable("sessions")
      .set({ last_seen_at: now.toISOString() })
      .where("id_hash", "=", idHash)
      .execute();
  }
  return { session, user, tenant };
}

export async function endSession(db: Kysely<Database>, signedIn: SignedIn): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("sessions").where("id_hash", "=", signedIn.session.id_hash).execute();
    await appendAudit(trx, {
      tenantId: signedIn.user.tenant_id,
      actor: personActor(signedIn.user),
      action: "user.signed_out",
      subject: signedIn.user.id,
    });
  });
}

/** Constant-time comparison of a submitted CSRF token with the expected one. */
export function csrfTokenMatches(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
