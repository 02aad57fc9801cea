// Row shapes of the gateway's tables, shared by both engines. Timestamps are ISO-8601 UTC strings
// (`toISOString()`), which sort and compare the same way as text on SQLite and PostgreSQL.
import type { GatewayInvoiceState, ImsAuthority } from "@raseed/sdk";
import type { Generated, Insertable, Selectable } from "kysely";

// The states are declared once, in the sdk, so its typed gateway client (RaseedGateway) answers the same union.
export type InvoiceState = GatewayInvoiceState;

export const invoiceStates: readonly InvoiceState[] = [
  "queued",
  "submitting",
  "accepted",
  "rejected",
  "retrying",
  "paused",
  "in_doubt",
  "failed",
  "abandoned",
  "cancelled",
];

export interface TenantsTable {
  id: string;
  ntn: string;
  name: string;
  province: string;
  address: string;
  environment: "sandbox" | "production";
  /** The revenue authority the tenant's POS terminals report to on the IMS channel (migration 0013). */
  ims_authority: Generated<ImsAuthority>;
  /** AES-256-GCM ciphertext of the FBR token, bound to the tenant id. */
  fbr_token_enc: string;
  /**
   * The tenant's own way to FBR (relay URL, proxy, client certificate, OAuth2 client credentials) as one
   * AES-256-GCM ciphertext bound to `<id>:transport` (tenants/transport.ts); null: the global settings.
   */
  transport_enc: string | null;
  /** Set when FBR refused the token: the tenant's queue is paused until the token changes. */
  paused_at: string | null;
  paused_reason: string | null;
  /** Set by `raseed tenant disable`: its API keys and dashboard people are refused until `tenant enable`. */
  disabled_at: string | null;
  /** Head of the tenant's audit hash chain, kept here so truncating the tail is detectable. */
  audit_seq: number;
  audit_head_hash: string;
  /** HMAC of the chain head (audit/audit-log.ts); null until the chain is keyed. */
  audit_head_mac: string | null;
  created_at: string;
  updated_at: string;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  /** SHA-256 of the whole key; keys are 256-bit random so a fast hash suffices. */
  key_hash: string;
  /** Comma-separated scopes such as "invoices:write,invoices:read". */
  scopes: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** Which FBR channel an invoice is reported through: PRAL's Digital Invoicing or the IMS fiscal cloud. */
export type InvoiceChannel = "di" | "ims";

export interface InvoicesTable {
  id: string;
  tenant_id: string;
  /** "di" (PRAL DI postinvoicedata) or "ims" (FBR IMS PostData for a POS terminal). */
  channel: Generated<InvoiceChannel>;
  /** IMS only: the POSID the sale was rung up on; with `usin`, the sale's identity per tenant. */
  pos_id: number | null;
  /** IMS only: the POS's unique sale number (USIN). */
  usin: string | null;
  external_ref: string | null;
  /** DI only: the buyer's NTN/CNIC and name copied from the payload by submitInvoice, so people can search by them. */
  buyer_ntn_cnic: string | null;
  buyer_name: string | null;
  /** The invoice's own date, "YYYY-MM-DD" on the Pakistan calendar (DI invoiceDate, IMS DateTime's day). */
  invoice_date: string | null;
  /** SHA-256 of the canonical request body, to tell a replay from a conflicting reuse of the key. */
  request_hash: string;
  /** The DiInvoice (or, for IMS, the ImsInvoice) exactly as it will be posted to FBR (JSON). */
  payload: string;
  state: InvoiceState;
  fbr_invoice_number: string | null;
  /** Who gave the FBR number: "fbr" (FBR's answer to our post) or "person" (a reconcile, correctable). */
  fbr_number_source: "fbr" | "person" | null;
  fbr_dated: string | null;
  item_numbers: string | null;
  /** JSON array of FBR errors for a rejection. */
  errors: string | null;
  last_reason: string | null;
  attempt_count: number;
  created_at: string;
  updated_at: string;
}

/** An IMS POS terminal of a tenant: FBR's POSID and the IMS token FBR issued for it. */
export interface ImsTerminalsTable {
  id: string;
  tenant_id: string;
  pos_id: number;
  environment: "sandbox" | "production";
  /** AES-256-GCM ciphertext of the IMS token, bound to this terminal's id. */
  ims_token_enc: string;
  created_at: string;
  updated_at: string;
}

export interface OutboxTable {
  invoice_id: string;
  tenant_id: string;
  due_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  created_at: string;
}

export interface AttemptsTable {
  id: string;
  invoice_id: string;
  tenant_id: string;
  attempt_no: number;
  started_at: string;
  finished_at: string | null;
  /** null while in flight: a null row found after a crash means the request may have been written. */
  outcome: string | null;
  url: string;
  request_body: string;
  http_status: number | null;
  response_body: string | null;
  duration_ms: number | null;
  reason: string | null;
}

export interface AuditTable {
  tenant_id: string;
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  details: string;
  prev_hash: string;
  hash: string;
  /** HMAC(chain key, previous mac + hash); null on entries written before the chain was keyed. */
  mac: string | null;
}

export interface CertificationRunsTable {
  id: string;
  tenant_id: string;
  activity: string;
  sector: string;
  actor: string;
  /** JSON: one ScenarioResult per scenario run. */
  results: string;
  /** 1 when every scenario of the run passed. */
  passed: number;
  started_at: string;
  finished_at: string;
}

export interface WebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  secret_enc: string;
  /** Last audit seq of the tenant already turned into deliveries. */
  cursor_seq: number;
  created_at: string;
  disabled_at: string | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  tenant_id: string;
  event: string;
  body: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  due_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Tax-invoice prints of an invoice (proformas are not counted). */
export interface InvoicePrintsTable {
  invoice_id: string;
  tenant_id: string;
  prints: number;
  first_printed_at: string;
  last_printed_at: string;
}

/** One short-lived row per /readyz write probe (store/write-health.ts). */
export interface StoreProbeTable {
  id: string;
  filler: string;
}

/** The seal of an accepted invoice (records/seals.ts). */
export interface SealsTable {
  invoice_id: string;
  tenant_id: string;
  /** The canonical JSON record that was signed. */
  record: string;
  /** Ed25519 signature over `record`, base64url. */
  signature: string;
  key_id: string;
  sealed_at: string;
}

/** Requests counted per key in fixed windows (`window` = floor(epoch ms / window length)). */
export interface RateLimitWindowsTable {
  key: string;
  window: number;
  hits: number;
}

/** A cancellation a person made in IRIS and recorded here (records/cancellations.ts). */
export interface CancellationsTable {
  invoice_id: string;
  tenant_id: string;
  iris_reference: string;
  reason: string;
  /** Required once 72 hours have passed since FBR's date (STGO 01/2026). */
  commissioner_approval: string | null;
  cancelled_at: string;
  actor: string;
}

export type UserRole = "admin" | "operator" | "auditor";
export const userRoles: readonly UserRole[] = ["admin", "operator", "auditor"];

/** A person who signs in to the dashboard. Never an API credential. */
export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  role: UserRole;
  /** `scrypt$N$r$p$salt$hash` (base64url), see people/passwords.ts. */
  password_hash: string;
  failed_sign_ins: number;
  locked_until: string | null;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  tenant_id: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
}

/** The incident register (records/incidents.ts): one row per incident of a tenant. */
export interface IncidentsTable {
  id: string;
  tenant_id: string;
  /** fbr_unreachable | token_refused | tamper | stopped_in_flight */
  kind: string;
  cause: string;
  opened_at: string;
  closed_at: string | null;
  /** opened_at + 24 h: the report to the Commissioner is due (FBR-SPEC §15). */
  report_by: string;
  /** Fixed when closed or when the incident names its invoices; null: counted from attempts while open. */
  invoices_affected: number | null;
  /** JSON: { invoiceIds } */
  details: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  invoices: InvoicesTable;
  outbox: OutboxTable;
  attempts: AttemptsTable;
  audit: AuditTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  ims_terminals: ImsTerminalsTable;
  certification_runs: CertificationRunsTable;
  invoice_prints: InvoicePrintsTable;
  store_probe: StoreProbeTable;
  seals: SealsTable;
  rate_limit_windows: RateLimitWindowsTable;
  cancellations: CancellationsTable;
  incidents: IncidentsTable;
}

export type TenantRow = Selectable<TenantsTable>;
/** Migration 0010's column is optional here only so code building an InvoiceRow need not spell it. */
type LaterInvoiceColumns = "fbr_number_source";
export type InvoiceRow = Omit<Selectable<InvoicesTable>, LaterInvoiceColumns> &
  Partial<Pick<Selectable<InvoicesTable>, LaterInvoiceColumns>>;
export type AttemptRow = Selectable<AttemptsTable>;
export type ImsTerminalRow = Selectable<ImsTerminalsTable>;
export type AuditRow = Selectable<AuditTable>;
export type UserRow = Selectable<UsersTable>;
export type IncidentRow = Selectable<IncidentsTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewInvoice = Insertable<InvoicesTable>;
export type { Generated };
