/** Where the background backfill stands (see `MemoryStore.backfillStatus`). */
export interface BackfillStatus {
  /**
   * `idle`: nothing known to wait; `scheduled`: an attempt waits until `nextAttemptAt`; `running`;
   * `stopped`: `maxAttempts` attempts failed in a row (the next failed write or `backfill()` starts it
   * again); `off`: automatic backfill is disabled.
   */
  state: 'idle' | 'scheduled' | 'running' | 'stopped' | 'off';
  /** Attempts that failed in a row. */
  failedAttempts: number;
  /** ISO time of the next attempt, when one is scheduled. */
  nextAttemptAt: string | null;
  /** The last attempt's error message, until an attempt succeeds. */
  lastError: string | null;
}

export interface BackfillSchedulerOptions {
  auto: boolean;
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** What one background pass did: `error` is set when embedding failed (the pass stops at the first failure). */
export interface BackfillPass {
  embedded: number;
  failed: number;
  error?: unknown;
}

/**
 * Runs backfill passes in the background, one at a time: after a failed embedding (with doubling delays,
 * capped, up to `maxAttempts` failures in a row), at once when memories are found pending or an embedding
 * succeeds again. Timers are unref'd (a pending retry never keeps the process alive) and `close()` aborts
 * a pass in flight.
 */
export class BackfillScheduler {
  readonly #options: BackfillSchedulerOptions;
  readonly #pass: (signal: AbortSignal) => Promise<BackfillPass>;
  readonly #finished: (pass: BackfillPass & { durationMs: number }) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextAt: number | null = null;
  #running: Promise<void> | undefined;
  #controller: AbortController | undefined;
  /** Set while `hold()` runs work that must not overlap a pass (an explicit `backfill()`). */
  #held = 0;
  /** A pass was asked for while one ran or the scheduler was held. */
  #requested = false;
  #failures = 0;
  #lastError: string | null = null;
  #stopped = false;
  #closed = false;

  constructor(
    options: BackfillSchedulerOptions,
    pass: (signal: AbortSignal) => Promise<BackfillPass>,
    finished: (pass: BackfillPass & { durationMs: number }) => void,
  ) {
    this.#options = options;
    this.#pass = pass;
    this.#finished = finished;
  }

  get status(): BackfillStatus {
    const state: BackfillStatus['state'] = !this.#options.auto
      ? 'off'
      : this.#running
        ? 'running'
        : this.#timer
          ? 'scheduled'
          : this.#stopped
            ? 'stopped'
            : 'idle';
    return {
      state,
      failedAttempts: this.#failures,
      nextAttemptAt: this.#timer && this.#nextAt !== null ? new Date(this.#nextAt).toISOString() : null,
      lastError: this.#lastError,
    };
  }

  /** Embedding failed on a write: try again after the current backoff (sooner if it is already waiting). */
  embeddingFailed(): void {
    this.#stopped = false;
    this.#request(this.#delayMs());
  }

  /** Memories are pending (found at open) or the embedder answered again while retries wait: run now. */
  pendingFound(): void {
    this.#stopped = false;
    this.#request(0);
  }

  /** An embedding succeeded: if a retry is waiting, the embedder is back, so run it now. */
  embeddingSucceeded(): void {
    if (this.#timer && this.#failures > 0) this.#request(0);
  }

  /**
   * Runs `work` with no background pass in flight or starting (an explicit backfill); a pass asked for
   * meanwhile runs afterwards.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.#held++;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#requested = true;
    }
    try {
      await this.#running;
      return await work();
    } finally {
      this.#held--;
      if (this.#held === 0 && this.#requested) {
        this.#requested = false;
        this.#request(this.#failures > 0 ? this.#delayMs() : 0);
      }
    }
  }

  /** Records the outcome of an explicit backfill: failures keep the retries going, success resets them. */
  settled(pass: BackfillPass): void {
    if (pass.failed > 0) {
      this.#lastError = message(pass.error);
      this.embeddingFailed();
    } else {
      this.#failures = 0;
      this.#lastError = null;
      this.#stopped = false;
      this.#requested = false;
    }
  }

  /** Stops the timer and aborts a pass in flight, then waits for it. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort(new Error('the memory store is closing'));
    await this.#running;
  }

  #delayMs(): number {
    return Math.min(this.#options.maxDelayMs, this.#options.initialDelayMs * 2 ** this.#failures);
  }

  #request(delayMs: number): void {
    if (!this.#options.auto || this.#closed) return;
    if (this.#running || this.#held > 0) {
      this.#requested = true;
      return;
    }
    const at = Date.now() + delayMs;
    if (this.#timer) {
      if (this.#nextAt !== null && this.#nextAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#nextAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, delayMs);
    this.#timer.unref?.();
  }

  #start(): void {
    if (this.#closed) return;
    if (this.#held > 0) {
      this.#requested = true;
      return;
    }
    const controller = new AbortController();
    this.#controller = controller;
    const started = Date.now();
    this.#running = (async () => {
      let pass: BackfillPass;
      try {
        pass = await this.#pass(controller.signal);
      } catch (error) {
        pass = { embedded: 0, failed: 1, error };
      }
      this.#running = undefined;
      this.#controller = undefined;
      if (controller.signal.aborted) return;
      if (pass.failed > 0) {
        this.#failures++;
        this.#lastError = message(pass.error);
        if (this.#failures >= this.#options.maxAttempts) this.#stopped = true;
        else this.#request(this.#delayMs());
      } else {
        this.#failures = 0;
        this.#lastError = null;
        if (this.#requested) this.#request(0);
      }
      this.#requested = false;
      this.#finished({ ...pass, durationMs: Date.now() - started });
    })();
  }
}

function message(error: unknown): string | null {
  if (error === undefined) return null;
  return (error as Error)?.message ?? String(error);
}
