import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bulkhead } from './bulkhead.js';
import { ResilienceError } from './errors.js';
import { fallback } from './fallback.js';
import { timeout } from './timeout.js';

describe('timeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('should reject with TIMEOUT at the deadline and abort the operation signal', async () => {
    let signal: AbortSignal | undefined;
    const outcome = timeout(100)
      .execute((context) => {
        signal = context.signal;
        return new Promise(() => {});
      })
      .catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(99);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = (await outcome) as ResilienceError;
    expect(error.code).toBe('TIMEOUT');
    expect(error.data).toEqual({ timeoutMs: 100 });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it('should pass results and errors through and leave no timer', async () => {
    await expect(timeout(100).execute(() => 'fast')).resolves.toBe('fast');
    await expect(timeout(100).execute(() => Promise.reject(new Error('own')))).rejects.toThrow('own');
    await expect(
      timeout(100).execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should reject ABORTED when the caller aborts, and before start when already aborted', async () => {
    const controller = new AbortController();
    const outcome = timeout(1_000)
      .execute(() => new Promise(() => {}), controller.signal)
      .catch((e: unknown) => e);
    controller.abort();
    expect(((await outcome) as ResilienceError).code).toBe('ABORTED');
    expect(vi.getTimerCount()).toBe(0);
    await expect(timeout(10).execute(() => 1, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('bulkhead', () => {
  it('should never exceed maxConcurrent across 10,000 random concurrent calls, and reject exactly the excess', async () => {
    const maxConcurrent = 7;
    const maxQueued = 40;
    const policy = bulkhead({ maxConcurrent, maxQueued });
    let running = 0;
    let peak = 0;
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let rejected = 0;
    let expectedRejections = 0;
    let completed = 0;
    const all: Promise<unknown>[] = [];
    let issued = 0;
    while (issued < 10_000) {
      const size = Math.min(10_000 - issued, 1 + Math.floor(random() * 100));
      for (let i = 0; i < size; i++) {
        // Acquisition is synchronous, so whether this call gets a slot, a queue place or a rejection is
        // decided by the state right now: full means rejected.
        const before = policy.stats();
        if (before.active >= maxConcurrent && before.queued >= maxQueued) expectedRejections++;
        all.push(
          policy
            .execute(async () => {
              running++;
              peak = Math.max(peak, running);
              if (running > maxConcurrent) throw new Error(`limit exceeded: ${running}`);
              await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
              running--;
            })
            .then(
              () => completed++,
              (error: unknown) => {
                expect((error as ResilienceError).code).toBe('BULKHEAD_FULL');
                rejected++;
              },
            ),
        );
      }
      issued += size;
      // Let some calls finish before the next wave, at random.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 2)));
    }
    await Promise.all(all);
    expect(peak).toBe(maxConcurrent);
    expect(rejected).toBe(expectedRejections);
    expect(rejected).toBeGreaterThan(0);
    expect(completed + rejected).toBe(10_000);
    expect(policy.stats()).toEqual({ active: 0, queued: 0, maxConcurrent, maxQueued });
  });

  it('should remove a queued caller whose signal aborts, without leaking the slot', async () => {
    const policy = bulkhead({ maxConcurrent: 1, maxQueued: 1 });
    let release: () => void = () => {};
    const first = policy.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const queued = policy.execute(() => 'never', controller.signal).catch((error: unknown) => error);
    expect(policy.stats().queued).toBe(1);
    controller.abort();
    expect(((await queued) as ResilienceError).code).toBe('ABORTED');
    expect(policy.stats()).toMatchObject({ active: 1, queued: 0 });
    release();
    await first;
    expect(policy.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  it('should hold the slot until the operation settles, even after a caller gave up', async () => {
    const policy = bulkhead({ maxConcurrent: 1 });
    let release: () => void = () => {};
    const slow = policy.execute(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(policy.execute(() => 'x')).rejects.toMatchObject({ code: 'BULKHEAD_FULL' });
    release();
    await slow;
    await expect(policy.execute(() => 'x')).resolves.toBe('x');
  });
});

describe('fallback', () => {
  it('should replace handled errors only', async () => {
    await expect(fallback('cached').execute(() => Promise.reject(new Error('x')))).resolves.toBe('cached');
    await expect(
      fallback((error) => `from ${(error as Error).message}`).execute(() => Promise.reject(new Error('e'))),
    ).resolves.toBe('from e');
    const picky = fallback('y', { shouldHandle: (error) => ResilienceError.isInstance(error) });
    await expect(picky.execute(() => Promise.reject(new Error('raw')))).rejects.toThrow('raw');
  });
});
