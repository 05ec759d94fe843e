// The local key vault's records in IndexedDB (client/vault.js seals and opens them). The
// database exists only while it keeps a room: looking for it never creates it, and
// deleting its last room deletes it, so a browser that never kept a room, or no longer
// does, holds nothing of this site.
import { equal } from '../protocol/codec.js';
import { META_ID, isRoomRecord } from '../client/vault.js';
import { forgetRoom } from './storage.js';

const DATABASE = 'atopos-vault';
const STORE = 'records';
// Every room page of this profile listens here, so "Delete local keys" in one tab also
// empties the session storage of the others (which no tab can reach but its own).
const FORGET_CHANNEL = 'atopos.forget';

function succeeded(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function finished(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error ?? new Error('the vault changed meanwhile'));
  });
}

/** A connection, or null when `create` is false and there is no vault (nothing is created). */
function open(create) {
  return new Promise((resolve, reject) => {
    const request = globalThis.indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = (event) => {
      // Aborting the upgrade of a database that did not exist leaves none behind.
      if (!create && event.oldVersion === 0) request.transaction.abort();
      else request.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    request.onsuccess = () => {
      const database = request.result;
      database.onversionchange = () => database.close(); // lets another tab delete it
      resolve(database);
    };
    request.onerror = (event) => {
      if (create || request.error?.name !== 'AbortError') return reject(request.error);
      event.preventDefault();
      return resolve(null);
    };
  });
}

async function vaultExists() {
  if (!globalThis.indexedDB) return false;
  if (typeof globalThis.indexedDB.databases !== 'function') return true; // open(false) finds out
  return (await globalThis.indexedDB.databases()).some(({ name }) => name === DATABASE);
}

/** Every record of the vault ([] when there is none, or storage is off). */
export async function readRecords() {
  try {
    if (!(await vaultExists())) return [];
    const database = await open(false);
    if (database === null) return [];
    try {
      return await succeeded(database.transaction(STORE, 'readonly').objectStore(STORE).getAll());
    } finally {
      database.close();
    }
  } catch {
    return []; // storage off (some private modes): there is no vault to show
  }
}

/** Add or replace `records` in one transaction. A new vault's meta is written only where no
 *  other is (another tab may have made one meanwhile), and a room only beside a meta. */
export async function writeRecords(records) {
  const meta = records.find((record) => record.id === META_ID);
  const database = await open(true);
  let vanished = false;
  try {
    const transaction = database.transaction(STORE, 'readwrite');
    const store = transaction.objectStore(STORE);
    const stored = store.get(META_ID);
    stored.onsuccess = () => {
      const present = stored.result;
      vanished = present === undefined && meta === undefined;
      if (vanished || (present !== undefined && meta !== undefined && !equal(present.salt, meta.salt))) transaction.abort();
      else for (const record of records) store.put(record);
    };
    await finished(transaction);
  } finally {
    database.close();
    if (vanished) await deleteVault(); // deleted meanwhile: opening it here made an empty one
  }
}

/** Delete one room's record (no passphrase needed); the whole database with its last room. */
export async function deleteRoom(id) {
  const database = await open(false);
  if (database === null) return;
  let left = 0;
  try {
    const transaction = database.transaction(STORE, 'readwrite');
    const store = transaction.objectStore(STORE);
    store.delete(id);
    const keys = store.getAllKeys();
    keys.onsuccess = () => {
      left = keys.result.filter((key) => isRoomRecord({ id: key })).length;
    };
    await finished(transaction);
  } finally {
    database.close();
  }
  if (left === 0) await deleteVault();
}

function deleteDatabase(name) {
  // A connection still open in another tab closes on versionchange (open() above); the
  // request succeeds once it has.
  return succeeded(globalThis.indexedDB.deleteDatabase(name));
}

/** The vault's whole database. */
export function deleteVault() {
  return deleteDatabase(DATABASE);
}

/** "Delete local keys": every IndexedDB database, Cache Storage and web storage of this
 *  origin in this profile, this tab's and, through the channel, every other tab's. */
export async function deleteLocalKeys() {
  const { indexedDB, caches } = globalThis;
  const names = new Set([DATABASE]);
  if (typeof indexedDB?.databases === 'function') for (const { name } of await indexedDB.databases()) names.add(name);
  if (indexedDB) await Promise.all([...names].map(deleteDatabase));
  forgetRoom();
  for (const storage of ['sessionStorage', 'localStorage']) {
    try {
      globalThis[storage].clear();
    } catch {
      // storage off: nothing to clear
    }
  }
  if (caches) for (const name of await caches.keys()) await caches.delete(name); // the site writes none; a stale one goes too
  if (typeof globalThis.BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(FORGET_CHANNEL);
    channel.postMessage('forget');
    channel.close();
  }
}

/** In every room page: when another tab deletes local keys, forget this tab's room too
 *  (`forgotten()` stops the page from remembering it again). */
export function listenForDeletion(forgotten) {
  if (typeof globalThis.BroadcastChannel !== 'function') return;
  new BroadcastChannel(FORGET_CHANNEL).onmessage = ({ data }) => {
    if (data !== 'forget') return;
    forgetRoom();
    forgotten();
  };
}
