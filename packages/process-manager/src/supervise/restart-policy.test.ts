import { describe, expect, it } from 'vitest';
import { CrashWindow, DEFAULT_RESTART_POLICY, restartDelay } from './restart-policy.js';

describe('restartDelay', () => {
  it('should double from 0.5 s to a 30 s cap, within ±10% jitter', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(n, DEFAULT_RESTART_POLICY, middle))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const base = Math.min(30_000, 500 * 2 ** (attempt - 1));
      const low = restartDelay(attempt, DEFAULT_RESTART_POLICY, () => 0);
      const high = restartDelay(attempt, DEFAULT_RESTART_POLICY, () => 0.999_999);
      expect(low).toBeGreaterThanOrEqual(Math.round(base * 0.9));
      expect(high).toBeLessThanOrEqual(Math.min(30_000, Math.round(base * 1.1)));
    }
  });
});

describe('CrashWindow', () => {
  it('should count only crashes within the window', () => {
    const window = new CrashWindow();
    expect([0, 10_000, 20_000, 30_000].map((t) => window.record(t, 60_000))).toEqual([1, 2, 3, 4]);
    expect(window.record(65_000, 60_000)).toBe(4);
    window.reset();
    expect(window.record(70_000, 60_000)).toBe(1);
  });
});
