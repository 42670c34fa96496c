import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CircuitBreakerEvents,
  circuitBreaker,
  consecutiveBreaker,
  samplingBreaker,
} from './circuit-breaker.js';
import { ResilienceError } from './errors.js';

const fail = () => Promise.reject(new Error('down'));
const succeed = () => Promise.resolve('ok');

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('circuitBreaker (consecutive)', () => {
  it('should open after the threshold and then call the operation zero times', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(3), halfOpenAfterMs: 1_000 });
    for (let i = 0; i < 3; i++) await expect(breaker.execute(fail)).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
    const operation = vi.fn(succeed);
    for (let i = 0; i < 50; i++) {
      const error = await breaker.execute(operation).catch((caught: unknown) => caught);
      expect(ResilienceError.isInstance(error) && error.code).toBe('BREAKER_OPEN');
      vi.advanceTimersByTime(10);
    }
    expect(operation).not.toHaveBeenCalled();
  });

  it('should reset the failure count on success', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(3) });
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(succeed);
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().failures).toBe(2);
  });

  it('should report retryAfterMs while open, counting down', async () => {
    const breaker = circuitBreaker({
      name: 'skill:x',
      breaker: consecutiveBreaker(1),
      halfOpenAfterMs: 5_000,
    });
    await breaker.execute(fail).catch(() => {});
    expect(breaker.snapshot()).toMatchObject({
      name: 'skill:x',
      state: 'open',
      retryAfterMs: 5_000,
      openedAt: 0,
    });
    vi.advanceTimersByTime(2_000);
    const error = (await breaker.execute(succeed).catch((caught: unknown) => caught)) as ResilienceError;
    expect(error.data).toEqual({ name: 'skill:x', state: 'open', retryAfterMs: 3_000 });
    expect(error.message).toContain('retry in 3000 ms');
    expect(breaker.snapshot().lastFailure).toEqual({ message: 'down', at: 0 });
  });

  it('should let exactly one trial call through in half-open among 100 concurrent callers', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(1), halfOpenAfterMs: 1_000 });
    await breaker.execute(fail).catch(() => {});
    vi.advanceTimersByTime(1_000);
    expect(breaker.state).toBe('half-open');
    let release: (value: string) => void = () => {};
    const operation = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const calls = Array.from({ length: 100 }, () =>
      breaker.execute(operation).then(
        (value) => ({ ok: true, value }),
        (error: unknown) => ({ ok: false, error }),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(operation).toHaveBeenCalledTimes(1);
    release('trial ok');
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    const rejected = outcomes.filter((o) => !o.ok) as Array<{ error: ResilienceError }>;
    expect(rejected).toHaveLength(99);
    for (const { error } of rejected) expect(error.code).toBe('BREAKER_OPEN');
    expect(breaker.state).toBe('closed');
  });

  it('should reopen when the trial fails, and wait a full halfOpenAfterMs again', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(1), halfOpenAfterMs: 1_000 });
    await breaker.execute(fail).catch(() => {});
    vi.advanceTimersByTime(1_000);
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot().retryAfterMs).toBe(1_000);
  });

  it('should emit state-change exactly once per transition, in order', async () => {
    const breaker = circuitBreaker({ breaker: consecutiveBreaker(2), halfOpenAfterMs: 100 });
    const changes: Array<CircuitBreakerEvents['state-change']> = [];
    breaker.on('state-change', (change) => changes.push(change));
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(fail).catch(() => {});
    await breaker.execute(fail).catch(() => {});
    vi.advanceTimersByTime(100);
    await breaker.execute(fail).catch(() => {});
    vi.advanceTimersByTime(100);
    await breaker.execute(succeed);
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual([
      'closed->open',
      'open->half-open',
      'half-open->open',
      'open->half-open',
      'half-open->closed',
    ]);
    expect(changes[0]?.error).toEqual(new Error('down'));
  });

  it('should not count errors rejected by shouldCount, and close on such an error in half-open', async () => {
    const breaker = circuitBreaker({
      breaker: consecutiveBreaker(1),
      halfOpenAfterMs: 10,
      shouldCount: (error) => (error as Error).message !== 'bad input',
    });
    await breaker.execute(() => Promise.reject(new Error('bad input'))).catch(() => {});
    expect(breaker.state).toBe('closed');
    await breaker.execute(fail).catch(() => {});
    vi.advanceTimersByTime(10);
    await breaker.execute(() => Promise.reject(new Error('bad input'))).catch(() => {});
    expect(breaker.state).toBe('closed');
  });

  it('should isolate until disposed, and reset', async () => {
    const breaker = circuitBreaker();
    const handle = breaker.isolate();
    const operation = vi.fn(succeed);
    await expect(breaker.execute(operation)).rejects.toMatchObject({ code: 'BREAKER_OPEN' });
    expect(breaker.state).toBe('isolated');
    handle.dispose();
    handle.dispose();
    expect(breaker.state).toBe('closed');
    await breaker.execute(operation);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('should refuse invalid options with a precise message', () => {
    expect(() => circuitBreaker({ breaker: consecutiveBreaker(0) })).toThrow(
      /breaker.threshold must be an integer ≥ 1, got 0/,
    );
    expect(() => circuitBreaker({ halfOpenAfterMs: -1 })).toThrow(/halfOpenAfterMs/);
    expect(() =>
      circuitBreaker({ breaker: samplingBreaker({ threshold: 2, durationMs: 1, minimumThroughput: 1 }) }),
    ).toThrow(/\(0, 1\]/);
  });
});

describe('circuitBreaker (sampling)', () => {
  const options = {
    breaker: samplingBreaker({ threshold: 0.5, durationMs: 10_000, minimumThroughput: 10 }),
    halfOpenAfterMs: 1_000,
  };

  it('should not open below the minimum throughput, even at 100% failures', async () => {
    const breaker = circuitBreaker(options);
    for (let i = 0; i < 9; i++) await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed');
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('should open when the failure rate in the window reaches the threshold', async () => {
    const breaker = circuitBreaker(options);
    for (let i = 0; i < 6; i++) await breaker.execute(succeed);
    for (let i = 0; i < 5; i++) await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed');
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('open');
  });

  it('should forget calls that slid out of the window', async () => {
    const breaker = circuitBreaker(options);
    for (let i = 0; i < 9; i++) await breaker.execute(fail).catch(() => {});
    vi.advanceTimersByTime(11_000);
    await breaker.execute(fail).catch(() => {});
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot()).toMatchObject({ failures: 1, calls: 1 });
  });
});
