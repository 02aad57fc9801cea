// In-process notifications between the worker, the API (?wait) and webhooks. Listeners must not throw;
// the emitter is never given an "error" event, so nothing here can crash the process.
import { EventEmitter } from "node:events";
import type { InvoiceState } from "./store/schema.ts";

export interface InvoiceStateChange {
  tenantId: string;
  invoiceId: string;
  state: InvoiceState;
  previousState: InvoiceState | null;
  fbrInvoiceNumber?: string | null;
  /** Sealed in the same commit as the change (the worker's acceptances): the Sealer has nothing to do. */
  sealed?: boolean;
}

export interface FbrCallRecord {
  tenantId: string;
  outcome: string;
  durationMs: number;
  errorCodes: string[];
}

export interface GatewayEventMap {
  "invoice.state_changed": [InvoiceStateChange];
  "fbr.call": [FbrCallRecord];
  "worker.problem": [{ message: string; invoiceId?: string; error?: unknown }];
  "breaker.changed": [{ state: "closed" | "open" | "half_open" }];
  "webhook.failed": [{ tenantId: string; webhookId: string; status?: number; error?: string }];
  /** A delivery was recorded as delivered (after its row was updated). */
  "webhook.delivered": [{ tenantId: string; webhookId: string; deliveryId: string }];
}

export class GatewayEvents extends EventEmitter<GatewayEventMap> {
  constructor() {
    super();
    this.setMaxListeners(10_000);
  }
}
