import { describe, expect, it, vi } from 'vitest';
import { bulkhead } from './bulkhead.js';
import { circuitBreaker, consecutiveBreaker } from './circuit-breaker.js';
import { ResilienceError } from './errors.js';
import { createBreakerRegistry } from './registry.js';
import { retry } from './retry.js';
import { timeout } from './timeout.js';
import { wrap } from './wrap.js';

describe('wrap', () => {
  it('should compose retry, breaker, timeout and bulkhead, outermost first', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(10) });
    const policy = wrap(
      retry({ maxAttempts: 3, initialDelayMs: 1 }),
      breaker,
      timeout(50),
      bulkhead({ maxConcurrent: 1 }),
    );
    const attempts: number[] = [];
    const result = await policy.execute(async ({ attempt, signal }) => {
      attempts.push(attempt);
      if (attempt < 3) {
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      }
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(breaker.snapshot().failures).toBe(0);
  });

  it('should stop retrying when the breaker opens (BREAKER_OPEN is not retried forever)', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(2), halfOpenAfterMs: 60_000 });
    const policy = wrap(
      retry({ maxAttempts: 5, initialDelayMs: 1, shouldRetry: (e) => !ResilienceError.isInstance(e) }),
      breaker,
    );
    const operation = vi.fn(() => Promise.reject(new Error('down')));
    // Attempts 1 and 2 fail and open the breaker; attempt 3 is refused by the breaker, which the retry
    // predicate does not retry: the caller sees BREAKER_OPEN after exactly two real calls.
    const error = (await policy.execute(operation).catch((e: unknown) => e)) as ResilienceError;
    expect(error.code).toBe('BREAKER_OPEN');
    expect(operation).toHaveBeenCalledTimes(2);
    await expect(policy.execute(operation)).rejects.toMatchObject({ code: 'BREAKER_OPEN' });
    expect(operation).toHaveBeenCalledTimes(2);
  });

  it('should leave no timers or abort listeners after 100,000 calls through every policy', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    const registry = createBreakerRegistry();
    const policy = wrap(
      retry({ maxAttempts: 2, initialDelayMs: 0 }),
      registry.get('leak-check'),
      timeout(1_000),
      bulkhead({ maxConcurrent: 64, maxQueued: 10_000 }),
    );
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(
        Array.from({ length: 1_000 }, (_, i) =>
          policy.execute(
            ({ attempt }) => (i % 97 === 0 && attempt === 1 ? Promise.reject(new Error('flaky')) : i),
            controller.signal,
          ),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(listeners).toBe(0);
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
    expect(registry.list()).toEqual([
      expect.objectContaining({ name: 'leak-check', state: 'closed', failures: 0 }),
    ]);
  }, 60_000);
});

describe('createBreakerRegistry', () => {
  it('should share breakers by name, list them sorted, and relay transitions', async () => {
    const registry = createBreakerRegistry({ breaker: consecutiveBreaker(1) });
    const changes: string[] = [];
    registry.on('state-change', ({ name, to }) => changes.push(`${name}:${to}`));
    expect(registry.get('b')).toBe(registry.get('b'));
    await registry
      .get('a')
      .execute(() => Promise.reject(new Error('x')))
      .catch(() => {});
    expect(registry.list().map((s) => [s.name, s.state])).toEqual([
      ['a', 'open'],
      ['b', 'closed'],
    ]);
    expect(changes).toEqual(['a:open']);
    expect(registry.delete('a')).toBe(true);
    expect(registry.has('a')).toBe(false);
  });
});
