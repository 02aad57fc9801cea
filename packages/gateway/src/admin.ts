// Admin commands (raseed tenant / key / audit) work on the same store as `raseed serve`, configured the
// same way (--data-dir, --db, --config, RASEED_* env). This opens that store and the master key.
import { type GatewayConfig, loadConfig } from "./config.ts";
import { openStore, type Store } from "./store/database.ts";
import { loadMasterKey } from "./tenants/secret-box.ts";

export interface AdminContext {
  config: GatewayConfig;
  store: Store;
  masterKey: Buffer;
  close(): Promise<void>;
}

export async function openAdminContext(
  flags: { dataDir?: string | undefined; db?: string | undefined; config?: string | undefined },
  env: Record<string, string | undefined>,
): Promise<AdminContext> {
  const config = loadConfig({ flags: { dataDir: flags.dataDir, db: flags.db, config: flags.config }, env });
  const masterKey = loadMasterKey({ masterKey: config.masterKey, dataDir: config.dataDir });
  const store = await openStore({ db: config.db, dataDir: config.dataDir });
  return { config, store, masterKey, close: () => store.close() };
}
