// Something kept per opened store and found again from any Kysely handle of it: a Kysely transaction shares
// its database's dialect adapter, so the adapter identifies the store without threading the value through
// every caller (the audit chain's key, SQLite's change watch and direct reads).

/** A Kysely database or transaction of any schema. */
export interface AnyKysely {
  getExecutor(): { adapter: object };
}

export interface PerStore<T> {
  set(db: AnyKysely, value: T): void;
  get(db: AnyKysely): T | undefined;
}

export function perStore<T>(): PerStore<T> {
  const values = new WeakMap<object, T>();
  return {
    set: (db, value) => values.set(db.getExecutor().adapter, value),
    get: (db) => values.get(db.getExecutor().adapter),
  };
}
