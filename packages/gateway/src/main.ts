// Composition root: the only place that opens the store, loads the master key, starts the simulator
// (demo / --with-simulator), the worker and the HTTP server, and handles SIGTERM.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { redactSecrets } from "@raseed/sdk";
import type { RunningSimulator } from "@raseed/simulator";
import type { FastifyInstance } from "fastify";
import { type DestinationStream, type Logger, pino } from "pino";
import { type AppDeps, buildApp } from "./app.ts";
import { adoptUnkeyedChains } from "./audit/audit-log.ts";
import { registerAuditChainKey } from "./audit/chain-key.ts";
import type { GatewayConfig } from "./config.ts";
import { loadDocumentLogo } from "./documents/logo.ts";
import { GatewayEvents } from "./events.ts";
import type { FbrNumberLookup } from "./invoices/reconcile.ts";
import { OutboxWorker } from "./outbox/loop.ts";
import { generatePassword, verifyPassword } from "./people/passwords.ts";
import { addUser, findUserByEmail, resetPassword } from "./people/users.ts";
import { IncidentMonitor } from "./records/incident-monitor.ts";
import { recordInterruptedWork } from "./records/incidents.ts";
import { deriveRecordKeys, type RecordKeys } from "./records/keys.ts";
import { Sealer } from "./records/sealer.ts";
import { isPostgresUrl, openStore, type Store } from "./store/database.ts";
import { GroupCommitter, POSTGRES_CONCURRENT_GROUPS } from "./store/group-commit.ts";
import { lockSqliteFile } from "./store/instance-lock.ts";
import { classifyStoreFault } from "./store/write-health.ts";
import { createMetrics } from "./telemetry/metrics.ts";
import { FbrConnections } from "./tenants/fbr-connections.ts";
import { addImsTerminal, findImsTerminal } from "./tenants/ims-terminals.ts";
import { loadMasterKeyForStore } from "./tenants/master-key-check.ts";
import {
  addTenant,
  authenticateApiKey,
  createApiKey,
  findTenant,
  setTenantToken,
} from "./tenants/tenants.ts";
import { WebhookDispatcher } from "./webhooks/webhooks.ts";

/** The simulator's documented demo seller (issue 3's demo world). */
export const DEMO_SELLER = {
  ntn: "7000007",
  name: "Demo Traders",
  province: "Sindh",
  address: "Karachi",
  environment: "sandbox" as const,
  fbrToken: "sandbox-demo-token",
};

/** The simulator's documented demo IMS POS terminal (issue 3's demo world), registered for the demo seller. */
export const DEMO_POS_TERMINAL = {
  posId: 110014,
  imsToken: "1298b5eb-b252-3d97-8622-a4a69d5bf818",
  environment: "sandbox" as const,
};

/** The demo's operator: signs in to the dashboard straight away (password generated, kept in `demo-login`). */
export const DEMO_OPERATOR_EMAIL = "operator@demo.raseed.pk";

export interface RunningGateway {
  url: string;
  app: FastifyInstance;
  store: Store;
  worker: OutboxWorker;
  events: GatewayEvents;
  /** Seals accepted invoices (records/seals.ts). */
  sealer: Sealer;
  /** Opens and closes incidents from the worker's FBR calls (records/incident-monitor.ts). */
  incidents: IncidentMonitor;
  /** Seal and audit-chain keys derived from the master key. */
  recordKeys: RecordKeys;
  simulator?: RunningSimulator;
  demo?: {
    tenantId: string;
    apiKey: string;
    apiKeyFile: string;
    login: { email: string; password: string; file: string };
  };
  /** Stops accepting requests, drains the worker within drainTimeoutMs, closes the store. */
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  logger?: Logger;
  /** FBR transport override (tests wrap fetch to add simulator fault headers). */
  fetch?: typeof fetch;
  /** Exit cleanly on SIGTERM/SIGINT (the CLI sets this). */
  handleSignals?: boolean;
  /** Tests only: the simulator's inspection standing in for IRIS when a person reconciles (FBR has no look-up). */
  fbrNumberLookup?: FbrNumberLookup;
  /** The incident register's clock (tests move it instead of waiting ten minutes). */
  incidentClock?: () => Date;
  /** Tests only: told the status of every answer of a documented API route (AppDeps.observeResponse). */
  observeResponse?: AppDeps["observeResponse"];
}

/**
 * Access logs show the route pattern (`/v1/invoices/:id`), never the path's own values or the query
 * string: a client may put a secret in an id or an ordinary query parameter (issue 13), and the log
 * cannot know which. A path that matches no route is not echoed at all.
 */
function loggedUrl(request: { url?: string; routeOptions?: { url?: string } }): string | undefined {
  if (request.url === undefined) return undefined;
  const pattern = request.routeOptions?.url ?? "(no matching route)";
  return request.url.includes("?") ? `${pattern}?[query redacted]` : pattern;
}

export function createLogger(config: GatewayConfig, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      // Every log line passes through the sdk's one redaction list (STYLE principle 14), so a token or key
      // that finds its way into a log object is masked. pino runs this formatter before the serializers, so
      // Fastify's request/reply objects (which the list would flatten to {}) and errors pass through to
      // their serializers below, which copy only safe fields: headers (Authorization) are never logged.
      formatters: {
        log: ({ err, req, res, ...rest }) => ({
          ...redactSecrets(rest),
          ...(err !== undefined ? { err } : {}),
          ...(req !== undefined ? { req } : {}),
          ...(res !== undefined ? { res } : {}),
        }),
      },
      serializers: {
        req: (request: { method?: string; url?: string; ip?: string; routeOptions?: { url?: string } }) => ({
          method: request.method,
          url: loggedUrl(request),
          remoteAddress: request.ip,
        }),
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
      },
      redact: { paths: ["req.headers.authorization"], censor: "[redacted]" },
    },
    destination,
  );
}

export async function startGateway(
  config: GatewayConfig,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(config);
  // A bad logo file stops the start here, before anything is opened, not at the first print.
  const documentLogo = await loadDocumentLogo(config.documentLogo);
  // One gateway process per SQLite file (store/instance-lock.ts): a second one is refused before it starts.
  const instanceLock = isPostgresUrl(config.db)
    ? undefined
    : lockSqliteFile(config.db ?? join(config.dataDir, "raseed.db"));
  let simulator: RunningSimulator | undefined;
  let fbrUrl = config.fbrUrl;
  if (config.withSimulator || config.demo) {
    // Loaded only here: a gateway posting to FBR itself never holds the simulator's code and spec data.
    const { startSimulator } = await import("@raseed/simulator");
    simulator = await startSimulator({ port: 0 });
    fbrUrl = simulator.url;
    logger.info({ url: simulator.url }, "FBR simulator started");
  }
  const effective: GatewayConfig = Object.freeze({
    ...config,
    fbrUrl,
    // The in-process simulator is on loopback: an inherited HTTPS_PROXY must not carry calls to it away.
    ...(simulator !== undefined ? { fbrProxy: "direct" } : {}),
    // The demo is for one machine: never listen beyond loopback.
    host: config.demo ? "127.0.0.1" : config.host,
  });

  const store = await openStore({ db: effective.db, dataDir: effective.dataDir }).catch((error: unknown) => {
    instanceLock?.release();
    throw error;
  });
  let masterKey: Buffer;
  try {
    // Refuses to start (never creates a new key) when stored tokens exist and the key cannot open them.
    masterKey = await loadMasterKeyForStore(store.db, {
      masterKey: effective.masterKey,
      dataDir: effective.dataDir,
    });
  } catch (error) {
    await store.close();
    instanceLock?.release();
    await simulator?.close();
    throw error;
  }
  // Seal and audit-chain keys come from the master key; chains written before keys existed are adopted.
  const recordKeys = deriveRecordKeys(masterKey);
  registerAuditChainKey(store.db, recordKeys.chainKey);
  await adoptUnkeyedChains(store.db);
  const events = new GatewayEvents();
  // A store that cannot write (full disk, lost database) is reported once when it starts and once when it
  // ends, with the store's own error, not once per failed query.
  store.health.onChange((change) => {
    if (change.kind === "failing") {
      logger.error(
        { err: change.error, code: change.fault.code },
        `store writes are failing: ${change.fault.message}`,
      );
    } else {
      logger.warn(
        { code: change.fault.code, failures: change.failures, since: change.fault.since },
        "store writes work again",
      );
    }
  });
  events.on("worker.problem", (problem) => {
    if (classifyStoreFault(problem.error) !== undefined) return;
    logger.error({ err: problem.error, invoiceId: problem.invoiceId }, `worker: ${problem.message}`);
  });
  events.on("breaker.changed", ({ state }) => logger.warn({ state }, "FBR circuit breaker changed"));
  const metrics = createMetrics(store, events);
  // One group commit for the API's submissions and the worker's settlements: they share fsyncs. On
  // PostgreSQL a group may start while others commit (store/group-commit.ts); SQLite has one writer.
  const committer = new GroupCommitter(store.db, {
    concurrentGroups: store.engine === "postgres" ? POSTGRES_CONCURRENT_GROUPS : 1,
  });
  // Each tenant's way to FBR (global proxy, or its own relay, proxy, client certificate, OAuth2 token),
  // shared by the worker and the API so both reach FBR the same way.
  const fbrConnections = new FbrConnections({
    masterKey,
    fbrUrl,
    proxy: effective.fbrProxy,
    noProxy: effective.fbrNoProxy,
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  const worker = new OutboxWorker({
    committer,
    recordKeys,
    store,
    masterKey,
    events,
    options: { ...effective, fbrUrl },
    connections: fbrConnections,
    // SQLite: beside the database file, which one process holds at a time (store/instance-lock.ts).
    ...(store.engine === "sqlite" ? { launchLog: `${store.location}-launches` } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });

  let demo: RunningGateway["demo"];
  if (effective.demo) demo = await prepareDemo(store, masterKey, effective.dataDir);

  const app = await buildApp({
    ...(documentLogo !== undefined ? { documentLogo } : {}),
    committer,
    config: effective,
    store,
    masterKey,
    events,
    worker,
    metrics,
    logger,
    fbrConnections,
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    ...(options.fbrNumberLookup !== undefined ? { fbrNumberLookup: options.fbrNumberLookup } : {}),
    ...(options.observeResponse !== undefined ? { observeResponse: options.observeResponse } : {}),
  });
  const webhooks = new WebhookDispatcher(store.db, masterKey, events, {
    pollIntervalMs: Math.max(effective.pollIntervalMs, 200),
    timeoutMs: effective.webhookTimeoutMs,
    retryBaseMs: effective.webhookRetryBaseMs,
    allowPrivateNetworks: effective.webhookAllowPrivateNetworks,
  });
  await app.listen({ port: effective.port, host: effective.host });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : effective.port;
  const url = `http://${effective.host.includes(":") ? `[${effective.host}]` : effective.host}:${port}`;
  // SQLite: this process holds the file's instance lock, so every lease found at start-up was left by a
  // dead process. Posts a stopped process left in flight are an incident, recorded before recovery.
  const incidentClock = options.incidentClock ?? (() => new Date());
  const interrupted = await recordInterruptedWork(store.db, {
    allLeases: store.engine === "sqlite",
    now: incidentClock(),
  });
  for (const incident of interrupted)
    logger.warn({ incident: incident.id, invoices: incident.invoicesAffected }, incident.cause);
  const incidents = new IncidentMonitor(store.db, events, {
    unreachableAfterMs: effective.incidentUnreachableMs,
    now: incidentClock,
  });
  await incidents.start();
  await worker.start({ recoverAllLeases: store.engine === "sqlite" });
  const sealer = new Sealer(
    store.db,
    recordKeys,
    events,
    store.engine === "postgres" ? committer : undefined,
  );
  sealer.start();
  webhooks.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      const drain = await worker.stop(effective.drainTimeoutMs);
      await sealer.stop();
      await incidents.stop();
      await webhooks.stop();
      await fbrConnections.close();
      if (!drain.drained)
        logger.warn({ unfinished: drain.unfinished }, "drain deadline passed; leases left for recovery");
      await store.close();
      instanceLock?.release();
      await simulator?.close();
    })();
    return closing;
  };

  if (options.handleSignals === true) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "shutting down: draining in-flight submissions");
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  // Logged once signals are handled: a supervisor may stop the gateway as soon as it reads this line.
  // The proxy's URL may carry its password: the log says only that one is used.
  logger.info(
    { url, store: store.location, engine: store.engine, fbrUrl, fbrProxy: fbrConnections.proxied },
    "Raseed gateway listening",
  );

  return {
    url,
    app,
    store,
    worker,
    events,
    sealer,
    incidents,
    recordKeys,
    close,
    ...(simulator !== undefined ? { simulator } : {}),
    ...(demo !== undefined ? { demo } : {}),
  };
}

/**
 * The demo tenant (seller 7000007 on the simulator's sandbox) and a demo API key, reused across restarts
 * through `<dataDir>/demo-api-key` (owner-only permissions).
 */
async function prepareDemo(
  store: Store,
  masterKey: Buffer,
  dataDir: string,
): Promise<NonNullable<RunningGateway["demo"]>> {
  let tenant = await findTenant(store.db, DEMO_SELLER.ntn);
  if (tenant === undefined) {
    await addTenant(store.db, masterKey, DEMO_SELLER, "demo");
    tenant = await findTenant(store.db, DEMO_SELLER.ntn);
  } else if (tenant.paused_at !== null) {
    await setTenantToken(store.db, masterKey, tenant.id, DEMO_SELLER.fbrToken, "demo");
  }
  if (tenant === undefined) throw new Error("demo tenant could not be created");
  if ((await findImsTerminal(store.db, tenant.id, DEMO_POS_TERMINAL.posId)) === undefined) {
    await addImsTerminal(store.db, masterKey, tenant.id, DEMO_POS_TERMINAL, "demo");
  }
  const login = await prepareDemoLogin(store, tenant.id, dataDir);
  const apiKeyFile = join(dataDir, "demo-api-key");
  if (existsSync(apiKeyFile)) {
    const saved = readFileSync(apiKeyFile, "utf8").trim();
    const auth = await authenticateApiKey(store.db, saved);
    if (auth !== undefined && auth.tenantId === tenant.id)
      return { tenantId: tenant.id, apiKey: saved, apiKeyFile, login };
  }
  const created = await createApiKey(store.db, tenant.id, { label: "demo", actor: "demo" });
  writeFileSync(apiKeyFile, `${created.key}\n`, { mode: 0o600 });
  return { tenantId: tenant.id, apiKey: created.key, apiKeyFile, login };
}

/**
 * The demo operator's sign-in, written to `<dataDir>/demo-login` (owner-only) as `email` and `password`
 * lines and reused across restarts; a file that no longer opens the account gets a fresh password.
 */
async function prepareDemoLogin(
  store: Store,
  tenantId: string,
  dataDir: string,
): Promise<{ email: string; password: string; file: string }> {
  const file = join(dataDir, "demo-login");
  const existing = await findUserByEmail(store.db, DEMO_OPERATOR_EMAIL);
  if (existing !== undefined && existsSync(file)) {
    const saved = /^password:\s*(\S+)\s*$/m.exec(readFileSync(file, "utf8"))?.[1];
    if (saved !== undefined && (await verifyPassword(saved, existing.password_hash)))
      return { email: DEMO_OPERATOR_EMAIL, password: saved, file };
  }
  const password = generatePassword();
  if (existing === undefined) {
    await addUser(
      store.db,
      { tenant: tenantId, email: DEMO_OPERATOR_EMAIL, role: "operator", password },
      "demo",
    );
  } else {
    await resetPassword(store.db, DEMO_OPERATOR_EMAIL, password, "demo");
  }
  writeFileSync(file, `email: ${DEMO_OPERATOR_EMAIL}\npassword: ${password}\n`, { mode: 0o600 });
  return { email: DEMO_OPERATOR_EMAIL, password, file };
}

/**
 * `node packages/gateway/dist/src/main.js`: start from RASEED_* environment variables alone (for
 * containers and process supervisors; `raseed serve` is the same with flags on top).
 */
export async function runFromEnvironment(): Promise<void> {
  const { loadConfig, ConfigError } = await import("./config.ts");
  let config: GatewayConfig;
  try {
    config = loadConfig({ env: process.env });
  } catch (error) {
    process.stderr.write(`raseed gateway: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  try {
    await startGateway(config, { handleSignals: true });
  } catch (error) {
    process.stderr.write(`raseed gateway: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runFromEnvironment();
}
