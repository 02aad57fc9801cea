// @raseed/pos-bridge: a cross-platform drop-in for FBR's Windows IMS fiscal component. The public API, named
// one by one (no `export *`): what a caller may rely on is exactly this list. Folders by role:
//   till/     the till's side: FBR's component contract (protocol), the bridge's behaviour (service), HTTP
//   journal/  the SQLite journal every sale is written to first, and the operator's status/reconcile views
//   upload/   getting journaled sales to FBR (or PRA, or a Raseed gateway), settled by the sdk's nextStep
//   receipts/ printing; config.ts, telemetry.ts and start.ts (the composition root) serve them all.

export {
  type BridgeConfig,
  BridgeConfigError,
  type BridgeFlags,
  bridgeConfigFileSchema,
  DEFAULT_BRIDGE_CONFIG,
  type FbrEnvironment,
  loadBridgeConfig,
  type ReceiptConfig,
  resolveBridgeDataDir,
  type TillConfig,
} from "./config.ts";
export {
  type BridgeStatusReport,
  bridgeStatus,
  formatSale,
  formatStatus,
  inDoubtSales,
  journalExists,
  type ReconcileDecision,
  type ReconcileResult,
  reconcileSale,
  type SaleSummary,
  saleStatus,
} from "./journal/admin.ts";
export {
  type BacklogStats,
  hashPayload,
  type JournaledSale,
  type RejectionProblem,
  SaleJournal,
  type SaleState,
  UNSETTLED_STATES,
  type UploadAttemptRecord,
} from "./journal/journal.ts";
export {
  buildReceiptLayout,
  DEFAULT_QR_SIZE_MM,
  FBR_VERIFY_STATEMENT,
  type MonochromeImage,
  normaliseLogoPng,
  PngReadError,
  qrRaster,
  RECEIPT_COLUMNS,
  type ReceiptImages,
  type ReceiptInput,
  type ReceiptLine,
  readPngAsMonochrome,
  receiptLogoMarker,
  renderReceiptEscPos,
  renderReceiptPdf,
  renderReceiptText,
} from "./receipts/index.ts";
export {
  createImsUpstream,
  journalPath,
  type RunningPosBridge,
  type StartPosBridgeOptions,
  startPosBridge,
} from "./start.ts";
export {
  type BridgeLogger,
  BridgeMetrics,
  createJsonLogger,
} from "./telemetry.ts";
export { type BridgeAppOptions, buildBridgeApp } from "./till/http.ts";
export {
  BRIDGE_REPLY_CODES,
  type BridgeProblem,
  type BridgeReply,
  type BridgeReplyCode,
  encodeImsInvoice,
  errorReply,
  HEALTH_REPLY,
  invalidDataReply,
  NOT_AVAILABLE,
  PROVISIONAL_RESPONSE_TEXT,
  problemsFromValidationIssues,
  provisionalReply,
  SUCCESS_RESPONSE_TEXT,
  sameSaleSubstance,
  successReply,
} from "./till/protocol.ts";
export {
  type BridgeAnswer,
  type BridgeEventMap,
  type BridgeSettings,
  type ListenerScope,
  PosBridge,
  type PosBridgeDeps,
} from "./till/service.ts";
export {
  createGatewayUpstream,
  GatewayImsUpstream,
  type GatewayUpstreamOptions,
} from "./upload/gateway-upstream.ts";
export {
  type ImsUpstream,
  SaleUploader,
  type SaleUploaderOptions,
  type SaleUploadResult,
  type UploadEvents,
} from "./upload/uploader.ts";
