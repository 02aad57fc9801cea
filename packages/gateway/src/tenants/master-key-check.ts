// Start-up guard for the master key. A missing or wrong key must stop the process with a clear reason:
// creating a fresh key over a store that already holds sealed FBR tokens would make every token
// unreadable, and the worker would then see every tenant as unusable.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.ts";
import { decryptSecret, loadMasterKey, MasterKeyError } from "./secret-box.ts";

/** One sealed secret from the store and the id it is bound to, or undefined when none is stored yet. */
async function sampleSealedSecret(
  db: Kysely<Database>,
): Promise<{ sealed: string; boundTo: string } | undefined> {
  const tenant = await db.selectFrom("tenants").select(["id", "fbr_token_enc"]).limit(1).executeTakeFirst();
  if (tenant !== undefined) return { sealed: tenant.fbr_token_enc, boundTo: tenant.id };
  const hook = await db.selectFrom("webhooks").select(["id", "secret_enc"]).limit(1).executeTakeFirst();
  if (hook !== undefined) return { sealed: hook.secret_enc, boundTo: hook.id };
  return undefined;
}

/**
 * Loads the master key for an opened store. With no sealed secrets stored yet, a key file is created on
 * first run as before; once secrets exist, the key must be present and must open them.
 */
export async function loadMasterKeyForStore(
  db: Kysely<Database>,
  options: { masterKey?: string | undefined; dataDir: string },
): Promise<Buffer> {
  const sample = await sampleSealedSecret(db);
  const file = join(options.dataDir, "master.key");
  if (sample !== undefined && options.masterKey === undefined && !existsSync(file)) {
    throw new MasterKeyError(
      `this store holds encrypted FBR tokens but ${file} is missing and RASEED_MASTER_KEY is not set: ` +
        "restore the original master.key from your backup (or set RASEED_MASTER_KEY to it); " +
        "no new key was created",
    );
  }
  const key = loadMasterKey(options);
  if (sample !== undefined) {
    try {
      decryptSecret(key, sample.sealed, sample.boundTo);
    } catch {
      const source = options.masterKey !== undefined ? "RASEED_MASTER_KEY" : file;
      throw new MasterKeyError(
        `the master key in ${source} cannot decrypt the FBR tokens stored in this database: ` +
          "restore the original master.key from your backup (or set RASEED_MASTER_KEY to it)",
      );
    }
  }
  return key;
}
