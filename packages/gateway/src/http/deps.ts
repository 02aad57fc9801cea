import type { FbrCancellationPort } from "@raseed/sdk";
import type { Logger } from "pino";
import type { BuyerLookup } from "../buyers/buyer-lookup.ts";
import type { GatewayConfig } from "../config.ts";
import type { DocumentLogo } from "../documents/render.ts";
import type { GatewayEvents } from "../events.ts";
import type { FbrNumberLookup } from "../invoices/reconcile.ts";
import type { OutboxWorker } from "../outbox/loop.ts";
import type { Store } from "../store/database.ts";
import type { GroupCommitter } from "../store/group-commit.ts";
import type { GatewayMetrics } from "../telemetry/metrics.ts";
import type { FbrConnections } from "../tenants/fbr-connections.ts";
import type { ObservedResponse } from "./openapi.ts";

/** Everything buildApp needs, created by main.ts (or a test). */
export interface AppDeps {
  config: GatewayConfig;
  store: Store;
  masterKey: Buffer;
  events: GatewayEvents;
  /** When present, new submissions nudge it so they are posted without waiting for the next poll. */
  worker?: OutboxWorker;
  /** Shared group commit for submissions (and the worker's settlements); buildApp makes one if absent. */
  committer?: GroupCommitter;
  metrics?: GatewayMetrics;
  logger?: Logger;
  /** The operator's logo for invoice PDFs (config documentLogo). */
  documentLogo?: DocumentLogo;
  /** Milliseconds since the epoch for rate-limit windows; tests inject one. Defaults to Date.now. */
  clock?: () => number;
  /** FBR's cancellation endpoint, once PRAL publishes one (sdk FbrCancellationPort); absent today. */
  fbrCancellation?: FbrCancellationPort;
  /**
   * Each tenant's way to FBR (origin, token source, proxy, client certificate), shared with the worker; read
   * it with fbrConnectionsOf(deps). buildApp makes one from the config when absent.
   */
  fbrConnections?: FbrConnections;
  /** Transport for FBR calls where no proxy or client certificate applies; defaults to global fetch. */
  fetch?: typeof fetch;
  /** Buyer checks with FBR (STATL + Get_Reg_Type), cached per day; read it with buyerLookupOf(deps). */
  buyers?: BuyerLookup;
  /** Asks FBR whether it issued a number a person reconciles with; none in production (FBR has no look-up). */
  fbrNumberLookup?: FbrNumberLookup;
  /** Told the status of every answer of a documented API route (tests check each against the OpenAPI document). */
  observeResponse?: (response: ObservedResponse) => void;
}
