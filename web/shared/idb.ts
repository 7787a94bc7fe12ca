// A few promises over IndexedDB, enough for the apps' stores (no library: ~40 lines we can read).

export type Upgrade = (db: IDBDatabase, oldVersion: number) => void;

export function openDatabase(name: string, version: number, upgrade: Upgrade): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("transaction aborted"));
  });
}

export async function getAll<T>(db: IDBDatabase, store: string): Promise<T[]> {
  return done(db.transaction(store).objectStore(store).getAll() as IDBRequest<T[]>);
}

export async function get<T>(db: IDBDatabase, store: string, key: IDBValidKey): Promise<T | undefined> {
  return done(db.transaction(store).objectStore(store).get(key) as IDBRequest<T | undefined>);
}

/** Put every value in one transaction: resolved once it is on disk (the transaction committed). */
export async function putAll<T>(db: IDBDatabase, store: string, values: T[]): Promise<void> {
  const transaction = db.transaction(store, "readwrite", { durability: "strict" });
  const objects = transaction.objectStore(store);
  for (const value of values) objects.put(value);
  await committed(transaction);
}

export async function remove(db: IDBDatabase, store: string, keys: IDBValidKey[]): Promise<void> {
  const transaction = db.transaction(store, "readwrite");
  const objects = transaction.objectStore(store);
  for (const key of keys) objects.delete(key);
  await committed(transaction);
}
