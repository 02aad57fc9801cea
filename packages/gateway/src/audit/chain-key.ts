// Which HMAC key keys the audit chain of a store. The key is registered once per opened store (main.ts
// and the admin commands, right after the master key is loaded) and looked up from any transaction of
// that store: a Kysely transaction shares its database's dialect adapter, so the adapter identifies the
// store without threading the key through every caller of appendAudit.
const keys = new WeakMap<object, Buffer>();

/** A Kysely database or transaction of any schema. */
interface AnyKysely {
  getExecutor(): { adapter: object };
}

export function registerAuditChainKey(db: AnyKysely, chainKey: Buffer): void {
  keys.set(db.getExecutor().adapter, chainKey);
}

export function auditChainKeyOf(db: AnyKysely): Buffer | undefined {
  return keys.get(db.getExecutor().adapter);
}
