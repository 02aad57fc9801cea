// @raseed/pos-bridge: a cross-platform drop-in for FBR's Windows IMS fiscal component. The public API, named
// one by one (no `export *`): what a caller may rely on is exactly this list.

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
} from "./admin.ts";
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
  type BacklogStats,
  hashPayload,
  type JournaledSale,
  type RejectionProblem,
  SaleJournal,
  type SaleState,
  UNSETTLED_STATES,
  type UploadAttemptRecord,
} from "./journal.ts";
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
} from "./protocol.ts";
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
  type BridgeAppOptions,
  buildBridgeApp,
  createImsUpstream,
  journalPath,
  type RunningPosBridge,
  type StartPosBridgeOptions,
  startPosBridge,
} from "./server.ts";
export {
  type BridgeAnswer,
  type BridgeSettings,
  type ListenerScope,
  PosBridge,
  type PosBridgeDeps,
} from "./service.ts";
export {
  BridgeMetrics,
  createJsonLogger,
} from "./telemetry.ts";
export {
  type BridgeLogger,
  type ImsUpstream,
  SaleUploader,
  type SaleUploaderOptions,
  type SaleUploadResult,
  type UploadEvents,
} from "./upload.ts";
