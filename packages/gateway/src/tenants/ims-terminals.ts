// IMS POS terminals of a tenant: FBR issues each till a POSID and an IMS token (FBR-SPEC §11). The token is
// sealed under the master key like the DI token, bound to the terminal's own id.
import type { Kysely } from "kysely";
import { appendAudit } from "../audit/audit-log.ts";
import { moveTenantInvoices } from "../invoices/lifecycle.ts";
import { requeueOutbox } from "../outbox/outbox-sql.ts";
import { newId, nowIso } from "../store/ids.ts";
import type { Database, ImsTerminalRow } from "../store/schema.ts";
import { decryptSecret, encryptSecret } from "./secret-box.ts";
import { requireTenant, TenantError } from "./tenants.ts";

export interface NewImsTerminal {
  posId: number;
  imsToken: string;
  environment: "sandbox" | "production";
}

export interface ImsTerminalSummary {
  id: string;
  tenantId: string;
  posId: number;
  environment: "sandbox" | "production";
  createdAt: string;
  updatedAt: string;
}

export function summariseImsTerminal(row: ImsTerminalRow): ImsTerminalSummary {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    posId: Number(row.pos_id),
    environment: row.environment,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Registers a POS terminal for the tenant, or replaces its token and environment when the POSID is
 * already registered. Sales held because FBR refused the old token (state paused) go back to the queue
 * in the same transaction.
 */
export async function addImsTerminal(
  db: Kysely<Database>,
  masterKey: Buffer,
  tenantIdOrNtn: string,
  input: NewImsTerminal,
  actor = "cli",
): Promise<{ terminal: ImsTerminalSummary; created: boolean; resumed: number }> {
  if (!Number.isSafeInteger(input.posId) || input.posId <= 0 || input.posId > 2_147_483_647) {
    throw new TenantError("the POSID must be a positive whole number (FBR's POS registration number)");
  }
  if (input.imsToken.trim() === "") throw new TenantError("the IMS token must not be empty");
  if (input.environment !== "sandbox" && input.environment !== "production") {
    throw new TenantError(
      `the environment must be sandbox or production, got "${String(input.environment)}"`,
    );
  }
  const tenant = await requireTenant(db, tenantIdOrNtn);
  const existing = await findImsTerminal(db, tenant.id, input.posId);
  const id = existing?.id ?? newId("pos");
  const now = nowIso();
  let resumed = 0;
  await db.transaction().execute(async (trx) => {
    const sealed = encryptSecret(masterKey, input.imsToken, id);
    if (existing === undefined) {
      await trx
        .insertInto("ims_terminals")
        .values({
          id,
          tenant_id: tenant.id,
          pos_id: input.posId,
          environment: input.environment,
          ims_token_enc: sealed,
          created_at: now,
          updated_at: now,
        })
        .execute();
    } else {
      await trx
        .updateTable("ims_terminals")
        .set({ ims_token_enc: sealed, environment: input.environment, updated_at: now })
        .where("id", "=", id)
        .execute();
      const held = await moveTenantInvoices(trx, tenant.id, {
        event: "resumed",
        channel: "ims",
        posId: input.posId,
        from: ["paused"],
        to: "queued",
        reason: "the POS terminal's IMS token changed",
        action: "invoice.resumed",
        actor,
      });
      for (const invoiceId of held) await requeueOutbox(trx, invoiceId, tenant.id);
      resumed = held.length;
    }
    await appendAudit(trx, {
      tenantId: tenant.id,
      actor,
      action: existing === undefined ? "ims_terminal.added" : "ims_terminal.token_changed",
      subject: id,
      details: { posId: input.posId, environment: input.environment, resumedInvoices: resumed },
    });
  });
  const row = await db.selectFrom("ims_terminals").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  return { terminal: summariseImsTerminal(row), created: existing === undefined, resumed };
}

export async function findImsTerminal(
  db: Kysely<Database>,
  tenantId: string,
  posId: number,
): Promise<ImsTerminalRow | undefined> {
  return db
    .selectFrom("ims_terminals")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("pos_id", "=", posId)
    .executeTakeFirst();
}

export async function listImsTerminals(
  db: Kysely<Database>,
  tenantIdOrNtn: string,
): Promise<ImsTerminalSummary[]> {
  const tenant = await requireTenant(db, tenantIdOrNtn);
  const rows = await db
    .selectFrom("ims_terminals")
    .selectAll()
    .where("tenant_id", "=", tenant.id)
    .orderBy("pos_id")
    .execute();
  return rows.map(summariseImsTerminal);
}

export function imsTerminalToken(masterKey: Buffer, terminal: ImsTerminalRow): string {
  return decryptSecret(masterKey, terminal.ims_token_enc, terminal.id);
}
