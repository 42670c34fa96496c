import { Worker } from 'node:worker_threads';
import { MemoryStoreError, storageError } from '../../errors.js';
import type { MemoryColumns, WrittenRows } from './write-rows.js';

interface WorkerError {
  message: string;
  code?: string;
  storeCode?: 'NAMESPACE_FULL';
  data?: Record<string, unknown>;
}

type Reply = { id: number; result: WrittenRows } | { id: number; error: WorkerError } | { type: 'ready' };

interface Pending {
  resolve: (result: WrittenRows) => void;
  reject: (error: unknown) => void;
}

/**
 * The writer thread could not start (or died before it was ready), so it wrote nothing: the caller may
 * write the rows itself. (A bundle that left `writer-thread.js` behind, a file replaced under the store.)
 */
export class WriterThreadUnavailable extends Error {
  override readonly name = 'WriterThreadUnavailable';
}

export interface WriterThreadOptions {
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
  /** The schema version the main connection migrated to; the thread refuses any other. */
  schemaVersion: number;
}

/**
 * The main thread's handle on the writer thread (`writer-thread.js`): started on first use, it inserts
 * batches of memories on its own connection to the same file, so the caller's thread can work meanwhile.
 * Requests run one at a time, in the order sent. If the thread dies, waiting requests fail with
 * `STORAGE_ERROR` (their transactions rolled back) and the next request starts a new thread; if it never
 * got ready, they fail with {@link WriterThreadUnavailable}. The thread keeps the process alive only while
 * a request is waiting.
 */
export class WriterThread {
  readonly #options: WriterThreadOptions;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  /** Settles after the last request sent (the thread answers requests in order). */
  #last: Promise<unknown> = Promise.resolve();

  constructor(options: WriterThreadOptions) {
    this.#options = options;
  }

  /**
   * Inserts rows in one `BEGIN IMMEDIATE` transaction on the writer thread's connection. The columns' typed
   * arrays are moved to the thread, not copied: the caller must not use them afterwards.
   */
  insert(columns: MemoryColumns, maxPerNamespace: number): Promise<WrittenRows> {
    if (this.#closed) return Promise.reject(new MemoryStoreError('CLOSED', 'The memory store is closed'));
    const worker = this.#start();
    const id = this.#nextId++;
    const request = new Promise<WrittenRows>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      try {
        const moved = [columns.vectors, columns.hashes, columns.importance, columns.createdAt, columns.dims];
        worker.postMessage(
          { id, columns, maxPerNamespace },
          moved.map((array) => array.buffer as ArrayBuffer),
        );
      } catch (error) {
        this.#settle(id);
        reject(storageError('Sending memories to the writer thread', error));
      }
    });
    this.#last = request.catch(() => undefined);
    return request;
  }

  /** Waits for requests in flight, then closes the thread's connection and stops it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#last;
    const worker = this.#worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      // Held until the thread has closed its connection, so the process cannot end mid-close.
      worker.ref();
      worker.postMessage({ type: 'close' });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const { path, synchronous, busyTimeoutMs, schemaVersion } = this.#options;
    const worker = new Worker(new URL('./writer-thread.js', import.meta.url), {
      workerData: { path, synchronous, busyTimeoutMs, schemaVersion },
      stdout: true,
      stderr: true,
    });
    worker.unref();
    let ready = false;
    worker.on('message', (reply: Reply) => {
      if ('type' in reply) {
        ready = true;
        return;
      }
      const pending = this.#settle(reply.id);
      if (!pending) return;
      if ('result' in reply) {
        pending.resolve(reply.result);
      } else {
        pending.reject(toError(reply.error));
      }
    });
    const fail = (error: unknown) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const wrapped = ready
        ? storageError('The writer thread', error)
        : new WriterThreadUnavailable(
            `The writer thread did not start: ${(error as Error)?.message ?? String(error)}`,
            { cause: error },
          );
      for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(wrapped);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the writer thread exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    return pending;
  }
}

function toError(error: WorkerError): MemoryStoreError {
  if (error.storeCode)
    return new MemoryStoreError(error.storeCode, error.message, { data: error.data ?? {} });
  const cause = Object.assign(new Error(error.message), error.code ? { code: error.code } : {});
  return storageError('Storing memories', cause);
}
