// Public API of @raseed/gateway: build the app in-process (tests, embedding) or start the whole service.

export { type AdminContext, openAdminContext, withAdminContext } from "./admin.ts";
export { type AppDeps, buildApp } from "./app.ts";
export {
  type AuditChainReport,
  adoptUnkeyedChains,
  appendAudit,
  verifyAuditChains,
} from "./audit/audit-log.ts";
export {
  type CertificationRun,
  type CertificationStatus,
  certificationStatus,
  listCertificationRuns,
  type ScenarioResult,
} from "./certification/certification-service.ts";
export { ConfigError, envNameFor, type GatewayConfig, gatewayConfigSchema, loadConfig } from "./config.ts";
export {
  ArchiveError,
  type ArchiveExportOptions,
  type ArchiveExportResult,
  exportArchive,
} from "./documents/archive-export.ts";
export { type ArchiveFinding, type ArchiveVerdict, verifyArchive } from "./documents/archive-verify.ts";
export { DomainError, type DomainErrorCode } from "./errors.ts";
export { GatewayEvents } from "./events.ts";
export { API_ERRORS, ApiError, type ApiErrorCode } from "./http/api-error.ts";
export { parseInvoiceListQuery, reconcileBodySchema } from "./http/routes/invoices.ts";
export {
  ALL_FIELDS as IMPORT_FIELDS,
  type ColumnMap,
  ColumnMapError,
  parseColumnMap,
} from "./imports/columns.ts";
export {
  allProblems,
  type ImportPlan,
  ImportPlanner,
  type ImportProblem,
  type ImportTenant,
  type PlannedInvoice,
  planImport,
} from "./imports/plan.ts";
export {
  readSheetFile,
  readSheetRows,
  SheetReadError,
  type SheetRow,
  sheetKindOf,
  sheetKindOfBytes,
} from "./imports/read-rows.ts";
export { auditTrail, type InvoiceSearch, searchInvoices } from "./invoices/invoice-reads.ts";
export {
  getInvoice,
  type InvoiceView,
  listAttempts,
  listInvoices,
  retryInvoice,
  toInvoiceView,
} from "./invoices/invoice-service.ts";
export { type ReconcileRequest, reconcileInvoice } from "./invoices/reconcile.ts";
export {
  createLogger,
  DEMO_OPERATOR_EMAIL,
  DEMO_POS_TERMINAL,
  DEMO_SELLER,
  type RunningGateway,
  startGateway,
} from "./main.ts";
export { OutboxWorker } from "./outbox/loop.ts";
export { generatePassword } from "./people/passwords.ts";
export {
  addUser,
  disableUser,
  listUsers,
  resetPassword,
  type UserSummary,
} from "./people/users.ts";
export {
  getIncident,
  type IncidentKind,
  type IncidentView,
  listIncidents,
  recordVerifyOutcome,
} from "./records/incidents.ts";
export { deriveRecordKeys, publicKeyPem, type RecordKeys, rawPublicKey } from "./records/keys.ts";
export {
  invoiceWasPrintedOrSealed,
  readSeal,
  type Seal,
  type SealRecord,
  sealPendingInvoices,
} from "./records/seals.ts";
export {
  type RecordFinding,
  type RecordFindingKind,
  verifyInvoiceRecords,
} from "./records/verify-records.ts";
export { isPostgresUrl, openStore, type Store } from "./store/database.ts";
export type { Database } from "./store/schema.ts";
export { type FbrConnection, FbrConnections } from "./tenants/fbr-connections.ts";
export {
  addImsTerminal,
  type ImsTerminalSummary,
  listImsTerminals,
  type NewImsTerminal,
} from "./tenants/ims-terminals.ts";
export { loadMasterKeyForStore } from "./tenants/master-key-check.ts";
export { loadMasterKey, MasterKeyError } from "./tenants/secret-box.ts";
export {
  type ApiKeySummary,
  addTenant,
  apiKeyScopes,
  createApiKey,
  defaultApiKeyScopes,
  fbrProvince,
  findTenant,
  listApiKeys,
  listTenants,
  parseImsAuthority,
  requireTenant,
  revokeApiKey,
  setTenantDisabled,
  setTenantToken,
  type TenantChanges,
  TenantError,
  updateTenant,
} from "./tenants/tenants.ts";
export {
  checkTenantTransport,
  openTenantTransport,
  setTenantTransport,
  summariseTenantTransport,
  type TenantTransport,
  type TenantTransportSummary,
} from "./tenants/transport.ts";
