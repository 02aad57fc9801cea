// Which HMAC key keys the audit chain of a store. The key is registered once per opened store (main.ts
// and the admin commands, right after the master key is loaded) and looked up from any transaction of
// that store (store/per-store.ts), without threading the key through every caller of appendAudit.
import { type AnyKysely, perStore } from "../store/per-store.ts";

const keys = perStore<Buffer>();

export function registerAuditChainKey(db: AnyKysely, chainKey: Buffer): void {
  keys.set(db, chainKey);
}

export function auditChainKeyOf(db: AnyKysely): Buffer | undefined {
  return keys.get(db);
}
