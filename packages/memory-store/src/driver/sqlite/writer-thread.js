// The writer thread: its own connection to the store's file, inserting batches of memories while the
// main thread goes on (updating its vector index, preparing the next batch). It is one more SQLite
// connection, like another process: same durability, same locking, same busy timeout. Plain JavaScript,
// so Node can start it from this package's sources as well as from its build.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configureConnection, insertMemoryRows } from './write-rows.js';

// Imported on the main thread (a packaging check, a bundler following the `./writer-thread` export), the
// module does nothing: it serves only as a worker.
if (!isMainThread) serve();

function serve() {
  const { path, synchronous, busyTimeoutMs, schemaVersion } = workerData;
  const db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs });
  configureConnection(db, synchronous);
  // This connection checkpoints after it has answered (below), never inside a commit the caller waits for.
  db.pragma('wal_autocheckpoint = 0');
  const found = db.pragma('user_version', { simple: true });
  if (found !== schemaVersion) {
    throw new Error(`the database has schema version ${found}, the writer thread expected ${schemaVersion}`);
  }

  const statements = new Map();
  function statement(sql) {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = db.prepare(sql);
      statements.set(sql, prepared);
    }
    return prepared;
  }

  class LimitError extends Error {
    constructor(code, message, data) {
      super(message);
      this.storeCode = code;
      this.data = data;
    }
  }
  const fail = (code, message, data) => new LimitError(code, message, data);
  const insert = db.transaction((columns, maxPerNamespace) =>
    insertMemoryRows(statement, columns, maxPerNamespace, fail),
  );

  parentPort.on('message', (message) => {
    if (message.type === 'close') {
      db.close();
      parentPort.close();
      return;
    }
    let failed = false;
    try {
      const result = insert.immediate(message.columns, message.maxPerNamespace);
      parentPort.postMessage({ id: message.id, result });
    } catch (error) {
      failed = true;
      parentPort.postMessage({
        id: message.id,
        error: {
          message: error?.message ?? String(error),
          code: typeof error?.code === 'string' ? error.code : undefined,
          storeCode: error?.storeCode,
          data: error?.data,
        },
      });
    }
    // The caller has its answer: copy the WAL into the database now, while the main thread works. PASSIVE
    // never waits for, nor blocks, other connections; whatever it cannot copy, a later checkpoint does.
    if (!failed) {
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // a checkpoint that cannot run now runs next time (or at the main connection's own checkpoints)
      }
    }
  });
  parentPort.postMessage({ type: 'ready' });
}
