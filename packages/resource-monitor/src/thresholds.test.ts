import { describe, expect, it } from 'vitest';
import { ThresholdEvaluator } from './thresholds.js';

describe('ThresholdEvaluator', () => {
  it('should raise once sustained, stay raised above the resolve line, and resolve below it (hysteresis)', () => {
    const evaluator = new ThresholdEvaluator([
      { name: 'Hot', metric: 't', above: 100, resolveBelow: 80, forMs: 1000 },
    ]);
    const feed = (value: number, now: number) =>
      evaluator.evaluate(() => value, now).map((t) => `${t.kind}:${t.alert.value}`);
    expect(feed(120, 0)).toEqual([]);
    expect(feed(90, 500)).toEqual([]); // dipped: the sustain clock restarts
    expect(feed(110, 600)).toEqual([]);
    expect(feed(130, 1600)).toEqual(['raised:130']);
    expect(evaluator.active()).toMatchObject([{ name: 'Hot', limit: 100, value: 130, since: 1600 }]);
    // Hovering between 80 and 100 neither resolves nor re-raises.
    for (const [value, now] of [
      [95, 1700],
      [99, 1800],
      [85, 1900],
      [101, 2000],
    ] as const)
      expect(feed(value, now)).toEqual([]);
    expect(feed(79, 2100)).toEqual(['resolved:79']);
    expect(evaluator.active()).toEqual([]);
  });

  it('should default to raising at once and resolving below 90%, ignore missing values, and refuse bad rules', () => {
    const evaluator = new ThresholdEvaluator([{ name: 'A', metric: 'a', above: 10, level: 'critical' }]);
    expect(evaluator.evaluate(() => undefined, 0)).toEqual([]);
    expect(evaluator.evaluate(() => 10, 1)[0]?.alert).toMatchObject({ level: 'critical', limit: 10 });
    expect(evaluator.evaluate(() => 9.5, 2)).toEqual([]);
    expect(evaluator.evaluate(() => 8.9, 3)[0]?.kind).toBe('resolved');
    expect(() => new ThresholdEvaluator([{ name: 'B', metric: 'b', above: 1, resolveBelow: 2 }])).toThrow(
      /resolveBelow/,
    );
    expect(
      () =>
        new ThresholdEvaluator([
          { name: 'C', metric: 'c', above: 1 },
          { name: 'C', metric: 'd', above: 1 },
        ]),
    ).toThrow(/twice/);
  });
});
