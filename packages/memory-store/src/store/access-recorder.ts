// Access bookkeeping: reads are buffered and written in one batch, so a read never waits on a write.
import type { StorageDriver } from '../driver/memory-driver.js';
import type { MemoryStoreEmitter } from './events.js';

/** Buffered reads past which a flush starts at once instead of at the next interval. */
const MAX_BUFFERED_ACCESSES = 500;

/**
 * Buffers the ids of memories read and writes their access counts and times in one batch every
 * `intervalMs` or every {@link MAX_BUFFERED_ACCESSES} reads. A failed flush emits `access-flush-failed`
 * (the counts are advisory: they are dropped, nothing else is).
 */
export class AccessRecorder {
  readonly #driver: StorageDriver;
  readonly #intervalMs: number;
  readonly #events: MemoryStoreEmitter;
  #buffer: Array<{ id: string; at: number }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /** @param intervalMs the longest a read waits to be written (`accessFlushIntervalMs`) */
  constructor(driver: StorageDriver, intervalMs: number, events: MemoryStoreEmitter) {
    this.#driver = driver;
    this.#intervalMs = intervalMs;
    this.#events = events;
  }

  /** Records a read of these memories (ignored once closed). */
  record(ids: readonly string[]): void {
    if (ids.length === 0 || this.#closed) return;
    const at = Date.now();
    for (const id of ids) this.#buffer.push({ id, at });
    if (this.#buffer.length >= MAX_BUFFERED_ACCESSES) {
      void this.flush();
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#intervalMs);
      this.#timer.unref?.();
    }
  }

  /** Writes the buffered records now. */
  async flush(): Promise<void> {
    const entries = this.#buffer;
    this.#buffer = [];
    if (entries.length === 0 || this.#closed) return;
    try {
      await this.#driver.recordAccess(entries);
    } catch (error) {
      this.#events.emit('access-flush-failed', { error });
    }
  }

  /** Stops the timer and writes what is buffered; later reads are not recorded. Idempotent. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
    this.#closed = true;
  }
}
