// Admin commands (raseed tenant / key / audit) work on the same store as `raseed serve`, configured the
// same way (--data-dir, --db, --config, RASEED_* env). This opens that store and the master key.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { registerAuditChainKey } from "./audit/chain-key.ts";
import { ConfigError, type GatewayConfig, loadConfig } from "./config.ts";
import { deriveRecordKeys, type RecordKeys } from "./records/keys.ts";
import { isPostgresUrl, openStore, type Store } from "./store/database.ts";
import { loadMasterKeyForStore } from "./tenants/master-key-check.ts";

export interface AdminContext {
  config: GatewayConfig;
  store: Store;
  masterKey: Buffer;
  /** Seal and audit-chain keys derived from the master key. */
  recordKeys: RecordKeys;
  close(): Promise<void>;
}

export async function openAdminContext(
  flags: { dataDir?: string | undefined; db?: string | undefined; config?: string | undefined },
  env: Record<string, string | undefined>,
  options: { createStore?: boolean } = {},
): Promise<AdminContext> {
  const config = loadConfig({ flags: { dataDir: flags.dataDir, db: flags.db, config: flags.config }, env });
  // A mistyped --data-dir must not quietly become a new, empty store with its own master key: only
  // `raseed tenant add` (the first step of a new installation) may create one.
  if (options.createStore !== true && !isPostgresUrl(config.db) && config.db !== ":memory:") {
    const file = config.db ?? join(config.dataDir, "raseed.db");
    if (!existsSync(file)) {
      throw new ConfigError(
        `no Raseed store at ${file} (check --data-dir, --db or --config; \`raseed tenant add\` creates a new one)`,
      );
    }
  }
  const store = await openStore({ db: config.db, dataDir: config.dataDir });
  try {
    const masterKey = await loadMasterKeyForStore(store.db, {
      masterKey: config.masterKey,
      dataDir: config.dataDir,
    });
    // Entries the admin commands append are keyed like the gateway's (audit/chain-key.ts).
    const recordKeys = deriveRecordKeys(masterKey);
    registerAuditChainKey(store.db, recordKeys.chainKey);
    return { config, store, masterKey, recordKeys, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

type AdminFlags = { dataDir?: string | undefined; db?: string | undefined; config?: string | undefined };
type AdminWork<T> = (ctx: AdminContext) => Promise<T>;

/** Opens the admin context, runs `work` with it and closes it whatever happens (every `raseed` admin command). */
export async function withAdminContext<T>(flags: AdminFlags, env: Env, work: AdminWork<T>): Promise<T>;
export async function withAdminContext<T>(
  flags: AdminFlags,
  env: Env,
  options: { createStore?: boolean },
  work: AdminWork<T>,
): Promise<T>;
export async function withAdminContext<T>(
  flags: AdminFlags,
  env: Env,
  optionsOrWork: { createStore?: boolean } | AdminWork<T>,
  maybeWork?: AdminWork<T>,
): Promise<T> {
  const options = typeof optionsOrWork === "function" ? {} : optionsOrWork;
  const work = (typeof optionsOrWork === "function" ? optionsOrWork : maybeWork) as AdminWork<T>;
  const ctx = await openAdminContext(flags, env, options);
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

type Env = Record<string, string | undefined>;
