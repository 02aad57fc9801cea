// The composition root: reads nothing itself (the CLI loads the configuration), opens the journal under a
// data-folder lock, builds each till's upstream (FBR's or PRA's IMS cloud, or a Raseed gateway), starts the
// uploads and the listeners, and closes all of it once.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type FetchLike, ImsClient } from "@raseed/sdk";
import type { FastifyInstance } from "fastify";
import { type BridgeConfig, BridgeConfigError, type TillConfig } from "./config.ts";
import { SaleJournal } from "./journal/journal.ts";
import { normaliseLogoPng } from "./receipts/index.ts";
import { type BridgeLogger, createJsonLogger } from "./telemetry.ts";
import { buildBridgeApp } from "./till/http.ts";
import { PosBridge } from "./till/service.ts";
import { createGatewayUpstream } from "./upload/gateway-upstream.ts";
import { createImsTransport, type ImsTransport } from "./upload/ims-transport.ts";
import type { ImsUpstream } from "./upload/uploader.ts";

export interface StartPosBridgeOptions {
  logger?: BridgeLogger;
  /** Replaces the sdk's ImsClient (tests, benchmarks). */
  createUpstream?: (till: TillConfig) => ImsUpstream;
  now?: () => number;
}

export interface RunningPosBridge {
  bridge: PosBridge;
  /** The shared listener's URL, e.g. http://127.0.0.1:8524. */
  url: string;
  /** Each till's own listener URL, by POSID (only tills configured with a port). */
  tillUrls: ReadonlyMap<number, string>;
  close(): Promise<void>;
}

/** The journal file inside a data folder. */
export function journalPath(dataDir: string): string {
  return join(dataDir, "journal.sqlite");
}

/**
 * One bridge per data folder: two would upload the same journal twice. The lock holds the owner's PID; a
 * lock left by a killed process (PID no longer running) is taken over.
 */
function acquireDataDirLock(dataDir: string): () => void {
  const lockFile = join(dataDir, "bridge.lock");
  try {
    const owner = Number(readFileSync(lockFile, "utf8").trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid) {
      let alive = true;
      try {
        process.kill(owner, 0);
      } catch (error) {
        alive = (error as NodeJS.ErrnoException).code === "EPERM";
      }
      if (alive) {
        throw new BridgeConfigError(
          `another pos-bridge (PID ${owner}) is using ${dataDir}; stop it or use another --data-dir`,
        );
      }
    }
  } catch (error) {
    if (error instanceof BridgeConfigError) throw error;
  }
  writeFileSync(lockFile, `${process.pid}\n`);
  return () => rmSync(lockFile, { force: true });
}

/** Reads, checks and normalises the configured logo once, so a bad file fails at start, not at the first receipt. */
function readLogo(path: string): Buffer {
  let png: Buffer;
  try {
    png = readFileSync(path);
  } catch (error) {
    throw new BridgeConfigError(
      `cannot read receipt.logoPath ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  try {
    return normaliseLogoPng(png);
  } catch (error) {
    throw new BridgeConfigError(`receipt.logoPath ${path}: ${(error as Error).message}`);
  }
}

/** `transport`: what the sdk's ImsClient posts through (default: the global fetch). */
export function createImsUpstream(
  config: Readonly<BridgeConfig>,
  till: TillConfig,
  transport?: FetchLike,
): ImsUpstream {
  if (config.upstream !== "fbr") return createGatewayUpstream(config);
  return new ImsClient({
    ...(transport === undefined ? {} : { fetch: transport }),
    token: till.token,
    environment: config.environment,
    authority: config.imsAuthority,
    ...(config.fbrUrl === undefined ? {} : { baseUrl: config.fbrUrl }),
    timeoutMs: config.uploadTimeoutMs,
    // The bridge retries through its journal with backoff, so the client must not retry on its own.
    maxRetries: 0,
  });
}

/** Opens the journal, starts uploads and listens: the shared port plus each till's own port. */
export async function startPosBridge(
  config: Readonly<BridgeConfig>,
  options: StartPosBridgeOptions = {},
): Promise<RunningPosBridge> {
  const logger = options.logger ?? createJsonLogger(config.logLevel);
  // The tills' IMS clients share one keep-alive transport (undici's request: ims-transport.ts).
  let transport: ImsTransport | undefined;
  const createUpstream =
    options.createUpstream ??
    ((till: TillConfig) => {
      transport ??= createImsTransport();
      return createImsUpstream(config, till, transport.fetch);
    });
  // Build the upstreams first so a bad upstream setting fails before anything is opened.
  const upstreams = new Map(config.tills.map((till) => [till.posId, createUpstream(till)]));
  const logoPng = config.receipt.logoPath === undefined ? undefined : readLogo(config.receipt.logoPath);
  // Group commit: concurrent sales share the journal's fsyncs (each answer still waits for its own).
  const journal = new SaleJournal(journalPath(config.dataDir), {
    sync: config.journalSync,
    groupFsync: true,
    backgroundCheckpoints: {
      intervalMs: 20,
      onError: (message) =>
        logger.warn(
          { error: message },
          "a background WAL checkpoint of the journal failed; commits still checkpoint",
        ),
    },
  });
  let releaseLock: () => void;
  try {
    releaseLock = acquireDataDirLock(config.dataDir);
  } catch (error) {
    await journal.close();
    throw error;
  }
  const journalEnvironment = journal.bindEnvironment(config.environment);
  if (journalEnvironment !== config.environment) {
    await journal.close();
    releaseLock();
    throw new BridgeConfigError(
      `${config.dataDir} holds ${journalEnvironment} sales; a ${config.environment} bridge needs its own --data-dir (its pending sales must not go to ${config.environment})`,
    );
  }
  const bridge = new PosBridge({
    settings: config,
    journal,
    createUpstream: (till) => upstreams.get(till.posId) ?? createUpstream(till),
    logger,
    receipt: config.receipt,
    imsAuthority: config.imsAuthority,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  bridge.start();
  const apps: FastifyInstance[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(apps.map((app) => app.close()));
    await bridge.stop();
    await transport?.close();
    await journal.close();
    releaseLock();
  };
  try {
    const shared = buildBridgeApp(bridge, {
      bodyLimitBytes: config.bodyLimitBytes,
      logger,
      ...(logoPng ? { logoPng } : {}),
    });
    apps.push(shared);
    const url = await shared.listen({ host: config.host, port: config.port });
    const tillUrls = new Map<number, string>();
    for (const till of config.tills) {
      if (till.port === undefined) continue;
      const app = buildBridgeApp(bridge, {
        scope: { fixedPosId: till.posId },
        bodyLimitBytes: config.bodyLimitBytes,
        logger,
      });
      apps.push(app);
      tillUrls.set(till.posId, await app.listen({ host: config.host, port: till.port }));
    }
    logger.info(
      {
        url,
        tills: config.tills.map((till) => till.posId),
        environment: config.environment,
        // The gateway URL carries no secret; its API key is never logged.
        upstream: config.upstream === "fbr" ? (config.fbrUrl ?? "fbr") : config.upstream,
      },
      "pos-bridge listening",
    );
    return { bridge, url, tillUrls, close };
  } catch (error) {
    await close();
    throw error;
  }
}
