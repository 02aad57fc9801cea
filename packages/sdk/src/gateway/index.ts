// The typed client for Raseed's gateway (docs/api.md): `new RaseedGateway({ baseUrl, apiKey })`.
export {
  type CreateInvoiceOptions,
  type PdfOptions,
  RaseedGateway,
  type RaseedGatewayOptions,
} from "./client.ts";
export {
  GatewayAuthError,
  GatewayBadRequestError,
  GatewayConflictError,
  GatewayConnectionError,
  type GatewayErrorInit,
  GatewayNotFoundError,
  GatewayRateLimitError,
  GatewayServerError,
  GatewayValidationError,
  RaseedGatewayError,
} from "./errors.ts";
export type {
  GatewayImsInput,
  GatewayImsInvoice,
  GatewayInvoice,
  GatewayInvoiceDraft,
  GatewayInvoiceInput,
  GatewayInvoiceListParams,
  GatewayInvoiceState,
  GatewayReconcileDecision,
} from "./types.ts";
export { type VerifySignatureOptions, verifyWebhookSignature } from "./webhooks.ts";
