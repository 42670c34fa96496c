import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOutputMeter, StderrTail } from './skill-diagnostics.js';

describe('StderrTail', () => {
  it('should pick the error headline over stack frames, the code block and the Node footer', () => {
    const tail = new StderrTail();
    for (const line of [
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/srv/missing.js'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
      "  code: 'MODULE_NOT_FOUND',",
      '}',
      'Node.js v20.19.0',
    ])
      tail.push(line);
    expect(tail.tellingLine(true)).toBe("Error: Cannot find module '/srv/missing.js'");
    expect(tail.shown()).toHaveLength(8);
    expect(tail.hint()).toBeUndefined();
  });

  it('should fall back to a telling word, and to the last words only of a process that ended', () => {
    const tail = new StderrTail();
    tail.push('Starting server…');
    expect(tail.tellingLine(false)).toBeUndefined();
    expect(tail.tellingLine(true)).toBe('Starting server…');
    tail.push('could not open the database');
    tail.push('bye');
    expect(tail.tellingLine(false)).toBe('could not open the database');
    expect(tail.describe('it failed', false)).toBe('it failed; stderr: could not open the database');
  });

  it('should stay bounded in lines and width', () => {
    const tail = new StderrTail();
    for (let i = 0; i < 1000; i++) tail.push(`line ${i} ${'x'.repeat(1000)}`);
    expect(tail.shown()).toHaveLength(10);
    expect(tail.shown().every((line) => line.length <= 300)).toBe(true);
    expect(tail.shown()[9]).toMatch(/^line 999 /);
  });
});

describe('InvalidOutputMeter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should report the first bad line at once, then the count at most once per 10 s', () => {
    const reports: Array<[number, string]> = [];
    const meter = new InvalidOutputMeter(
      (count, sample) => reports.push([count, sample]),
      () => {},
    );
    meter.record('not JSON: a');
    for (let i = 0; i < 50; i++) meter.record(`not JSON: ${i}`);
    expect(reports).toEqual([[1, 'not JSON: a']]);
    vi.advanceTimersByTime(10_000);
    expect(reports).toEqual([
      [1, 'not JSON: a'],
      [50, 'not JSON: 49'],
    ]);
    vi.advanceTimersByTime(60_000);
    expect(reports).toHaveLength(2);
    expect(meter.total).toBe(51);
    meter.close();
  });

  it('should flag a flood of more than 100 lines in 10 s, and clear it after a quiet window', () => {
    const changes: boolean[] = [];
    const meter = new InvalidOutputMeter(
      () => {},
      () => changes.push(meter.flooding),
    );
    for (let i = 0; i < 100; i++) meter.record('x');
    expect(meter.flooding).toBe(false);
    meter.record('x');
    expect(meter.flooding).toBe(true);
    vi.advanceTimersByTime(5_000);
    for (let i = 0; i < 10; i++) meter.record('x');
    vi.advanceTimersByTime(9_000);
    // Still flooding: lines kept coming within the window.
    expect(meter.flooding).toBe(true);
    vi.advanceTimersByTime(1_001);
    expect(meter.flooding).toBe(false);
    expect(changes).toEqual([true, false]);
    meter.close();
  });
});
