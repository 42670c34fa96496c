import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResilienceError } from './errors.js';
import { fullJitterDelay, retry, sleep } from './retry.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('fullJitterDelay', () => {
  it('should stay within [0, min(max, initial·2^(n-1))) over 10,000 samples', () => {
    for (let i = 0; i < 10_000; i++) {
      const attempt = 1 + (i % 8);
      const delay = fullJitterDelay(attempt, 100, 2_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(2_000, 100 * 2 ** (attempt - 1)));
    }
    expect(fullJitterDelay(3, 100, 10_000, () => 0.999)).toBe(399);
  });
});

describe('retry', () => {
  it('should retry until success, passing the attempt number', async () => {
    const attempts: number[] = [];
    const policy = retry({ maxAttempts: 5, initialDelayMs: 10, random: () => 0.5 });
    const result = policy.execute(({ attempt }) => {
      attempts.push(attempt);
      return attempt < 3 ? Promise.reject(new Error(`fail ${attempt}`)) : Promise.resolve('third time');
    });
    await vi.runAllTimersAsync();
    expect(await result).toBe('third time');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('should rethrow the last error unchanged after maxAttempts', async () => {
    const policy = retry({ maxAttempts: 3, initialDelayMs: 1 });
    const operation = vi.fn((context: { attempt: number }) =>
      Promise.reject(new Error(`attempt ${context.attempt}`)),
    );
    const outcome = policy.execute(operation).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(((await outcome) as Error).message).toBe('attempt 3');
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it('should not retry errors shouldRetry refuses', async () => {
    const policy = retry({
      maxAttempts: 5,
      shouldRetry: (error) => (error as Error).message === 'transient',
    });
    const operation = vi.fn(() => Promise.reject(new Error('permanent')));
    await expect(policy.execute(operation)).rejects.toThrow('permanent');
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('should wait at least a retry-after hint, and give up if the hint exceeds maxDelayMs', async () => {
    const scheduled: number[] = [];
    const policy = retry({ maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 5_000, random: () => 0 });
    policy.on('retry-scheduled', ({ delayMs }) => scheduled.push(delayMs));
    let calls = 0;
    const outcome = policy.execute(() => {
      calls++;
      return calls === 1
        ? Promise.reject(Object.assign(new Error('429'), { retryAfterMs: 1_500 }))
        : Promise.resolve('ok');
    });
    await vi.advanceTimersByTimeAsync(1_499);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('ok');
    expect(scheduled).toEqual([1_500]);

    const impatient = retry({ maxAttempts: 3, maxDelayMs: 1_000 });
    const op = vi.fn(() =>
      Promise.reject(Object.assign(new Error('busy'), { data: { retryAfterMs: 60_000 } })),
    );
    await expect(impatient.execute(op)).rejects.toThrow('busy');
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('should stop immediately when aborted during a wait, with ABORTED', async () => {
    const policy = retry({ maxAttempts: 10, initialDelayMs: 10_000, random: () => 0.99 });
    const controller = new AbortController();
    const operation = vi.fn(() => Promise.reject(new Error('x')));
    const outcome = policy.execute(operation, controller.signal).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error('stop'));
    const error = (await outcome) as ResilienceError;
    expect(error.code).toBe('ABORTED');
    expect((error.cause as Error).message).toBe('stop');
    expect(operation).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('should refuse invalid options', () => {
    expect(() => retry({ maxAttempts: 0 })).toThrow(/maxAttempts must be an integer ≥ 1/);
  });
});

describe('sleep', () => {
  it('should reject at once if the signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(10, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
