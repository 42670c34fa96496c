import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import {
  type Alert,
  BUILTIN_METRICS,
  createResourceMonitor,
  type ResourceMonitor,
  ResourceMonitorError,
} from '../src/index.js';

const monitors: ResourceMonitor[] = [];
const make = (...args: Parameters<typeof createResourceMonitor>) => {
  const monitor = createResourceMonitor(...args);
  monitors.push(monitor);
  return monitor;
};
afterEach(() => {
  for (const monitor of monitors.splice(0)) monitor.close();
});

/** Metric names in a Prometheus text exposition (`# TYPE name type` lines). */
const exposed = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
/** `mimo_…` identifiers used in PromQL expressions. */
const referenced = (expressions: string[]) =>
  new Set(
    expressions.flatMap((expression) => [...expression.matchAll(/\bmimo_[a-z0-9_]+\b/g)].map((m) => m[0])),
  );
const file = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../monitoring/${name}`, import.meta.url)), 'utf8');

describe('resource monitor', () => {
  it('should sample this process: memory, event loop, handles, file descriptors', async () => {
    const monitor = make({ intervalMs: 50, thresholds: [] });
    // Keep the loop busy for a moment so delay and utilisation have something to show.
    const until = Date.now() + 30;
    while (Date.now() < until) {}
    await new Promise((resolve) => setTimeout(resolve, 20));
    const snapshot = monitor.sample();
    expect(snapshot.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(snapshot.heapUsedBytes).toBeGreaterThan(0);
    expect(snapshot.heapTotalBytes).toBeGreaterThanOrEqual(snapshot.heapUsedBytes);
    expect(snapshot.eventLoopUtilization).toBeGreaterThan(0);
    expect(snapshot.eventLoopUtilization).toBeLessThanOrEqual(1);
    expect(snapshot.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(snapshot.eventLoopDelayP50Ms);
    expect(snapshot.activeHandles).toBeGreaterThan(0);
    expect(snapshot.openFds).toBeGreaterThan(2);
    const text = await monitor.metrics();
    expect(text).toMatch(/^mimo_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^mimo_event_loop_delay_seconds\{quantile="0.99"\} [\d.e-]+/m);
  });

  it('should sample on its own interval and report children fed to it', async () => {
    const monitor = make({ intervalMs: 20, thresholds: [] });
    let samples = 0;
    monitor.on('sample', () => samples++);
    monitor.start();
    monitor.recordChild({ id: 'skill:fs', pid: 123, rssBytes: 5_000_000, cpuPercent: 12.5 });
    // Three ticks of a 20 ms interval, however slowly a loaded machine runs them.
    await vi.waitFor(() => expect(samples).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 20 });
    expect(monitor.snapshot()).toMatchObject({
      childProcesses: 1,
      children: [{ id: 'skill:fs', rssBytes: 5_000_000 }],
    });
    expect(await monitor.metrics()).toContain('mimo_child_resident_memory_bytes{child="skill:fs"} 5000000');
    monitor.forgetChild('skill:fs');
    expect(await monitor.metrics()).not.toContain('skill:fs');
  });

  it('should raise and resolve alerts on an application gauge, with hysteresis, as events and metrics', async () => {
    let value = 0;
    const monitor = make({
      thresholds: [
        { name: 'QueueDeep', metric: 'app_queue_depth', level: 'critical', above: 100, resolveBelow: 50 },
      ],
    });
    monitor.addGauge({ name: 'app_queue_depth', help: 'Queued jobs', collect: () => value });
    const raised: Alert[] = [];
    const resolved: Alert[] = [];
    monitor.on('alert-raised', (alert) => raised.push(alert));
    monitor.on('alert-resolved', (alert) => resolved.push(alert));
    for (const next of [10, 150, 120, 60, 40]) {
      value = next;
      monitor.sample();
      if (next === 150) {
        expect(await monitor.metrics()).toContain('mimo_alert_active{alert="QueueDeep",level="critical"} 1');
        expect(monitor.activeAlerts()).toHaveLength(1);
      }
    }
    expect(raised).toMatchObject([{ name: 'QueueDeep', value: 150, limit: 100, level: 'critical' }]);
    expect(resolved).toMatchObject([{ name: 'QueueDeep', value: 40 }]);
    expect(await monitor.metrics()).toContain('app_queue_depth 40');
    expect(monitor.snapshot().gauges).toEqual({ app_queue_depth: 40 });
  });

  it('should expose labelled application gauges and survive a throwing one', async () => {
    const monitor = make({ thresholds: [] });
    monitor.addGauge({
      name: 'app_breaker_state',
      help: 'Breaker state per skill',
      labelNames: ['skill'],
      collect: () => [
        { labels: { skill: 'fs' }, value: 0 },
        { labels: { skill: 'web' }, value: 2 },
      ],
    });
    monitor.addGauge({
      name: 'app_broken',
      help: 'Throws',
      collect: () => {
        throw new Error('boom');
      },
    });
    const text = await monitor.metrics();
    expect(text).toContain('app_breaker_state{skill="web"} 2');
    expect(monitor.sample().gauges.app_breaker_state).toBe(2);
    expect(() => monitor.addGauge({ name: 'app_broken', help: 'again', collect: () => 1 })).toThrow(
      /already registered/,
    );
  });
});

describe('application counters and histograms', () => {
  it('should count and time by label in the exposition', async () => {
    const monitor = make({ thresholds: [] });
    const requests = monitor.addCounter({
      name: 'app_requests_total',
      help: 'Requests',
      labelNames: ['status'],
    });
    const latency = monitor.addHistogram({
      name: 'app_call_duration_seconds',
      help: 'Call latency',
      labelNames: ['tool'],
    });
    requests.inc({ status: '200' });
    requests.inc({ status: '200' });
    requests.inc({ status: '429' });
    latency.observe({ tool: 'search' }, 0.0008);
    latency.observe({ tool: 'search' }, 0.2);
    const text = await monitor.metrics();
    expect(text).toContain('app_requests_total{status="200"} 2');
    expect(text).toContain('app_requests_total{status="429"} 1');
    expect(text).toContain('app_call_duration_seconds_bucket{le="0.001",tool="search"} 1');
    expect(text).toContain('app_call_duration_seconds_bucket{le="0.25",tool="search"} 2');
    expect(text).toContain('app_call_duration_seconds_count{tool="search"} 2');
  });
});

describe('child memory ceiling', () => {
  it('should raise ChildMemoryHigh for a child without a limit of its own over the ceiling, at once (bug: only limited children were watched)', () => {
    const monitor = make({
      intervalMs: 60_000,
      thresholds: [{ name: 'ChildMemoryHigh', metric: 'unlimitedChildRssBytes', above: 100 }],
    });
    const raised: Alert[] = [];
    const resolved: Alert[] = [];
    monitor.on('alert-raised', (alert) => raised.push(alert));
    monitor.on('alert-resolved', (alert) => resolved.push(alert));
    // Over the ceiling, but it has its own limit: its supervisor handles it.
    monitor.recordChild({ id: 'limited', pid: 1, rssBytes: 500, cpuPercent: 0, maxRssBytes: 1000 });
    expect(raised).toEqual([]);
    monitor.recordChild({ id: 'free', pid: 2, rssBytes: 50, cpuPercent: 0 });
    expect(raised).toEqual([]);
    // No monitor sample in between (the interval is a minute away): the child sample alone raises it.
    monitor.recordChild({ id: 'free', pid: 2, rssBytes: 150, cpuPercent: 0 });
    expect(raised.map((alert) => [alert.name, alert.value])).toEqual([['ChildMemoryHigh', 150]]);
    expect(monitor.activeAlerts().map((alert) => alert.name)).toEqual(['ChildMemoryHigh']);
    expect(monitor.sample().unlimitedChildRssBytes).toBe(150);
    monitor.forgetChild('free');
    expect(resolved.map((alert) => alert.name)).toEqual(['ChildMemoryHigh']);
  });

  it('should watch children by default, with a 1 GiB ceiling', () => {
    const monitor = make({ intervalMs: 60_000 });
    const raised: Alert[] = [];
    monitor.on('alert-raised', (alert) => raised.push(alert));
    monitor.recordChild({ id: 'big', pid: 3, rssBytes: 1024 ** 3 + 1, cpuPercent: 0 });
    expect(raised.map((alert) => alert.name)).toEqual(['ChildMemoryHigh']);
  });
});

describe('shipped monitoring files', () => {
  it('should use only metric names the monitor really emits, in the alert rules and the dashboard', async () => {
    const monitor = make({ thresholds: [{ name: 'X', metric: 'rssBytes', above: 1e15 }] });
    monitor.recordChild({ id: 'c', pid: 1, rssBytes: 1, cpuPercent: 1 });
    monitor.sample();
    const names = exposed(await monitor.metrics());
    expect([...names].sort()).toEqual([...BUILTIN_METRICS].sort());

    const rules = parse(file('prometheus-rules.yml')) as {
      groups: Array<{ rules: Array<{ expr: string }> }>;
    };
    const ruleExpressions = rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
    const dashboard = JSON.parse(file('grafana-dashboard.json')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const panelExpressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    for (const expressions of [ruleExpressions, panelExpressions]) {
      const used = referenced(expressions);
      expect(used.size).toBeGreaterThan(5);
      expect([...used].filter((name) => !names.has(name))).toEqual([]);
    }
    // Every metric the monitor emits is shown on the dashboard.
    expect([...names].filter((name) => !referenced(panelExpressions).has(name))).toEqual([]);
  });

  it('should report a failing sample as sample-error and keep sampling (bug: EMFILE from process.memoryUsage() killed the process)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/fd-exhaustion.mjs', import.meta.url));
    // A real process out of descriptors: `ulimit -n 64`, then it opens files until EMFILE.
    const { stdout } = await promisify(execFile)(
      'bash',
      ['-c', 'ulimit -n 64 && exec "$0" "$1"', process.execPath, fixture],
      { timeout: 30_000 },
    );
    const outcome = JSON.parse(stdout) as { errors: string[]; samplesAfter: number };
    expect(outcome.errors).toContain('EMFILE');
    expect(outcome.samplesAfter).toBeGreaterThan(0);
  });
});

describe('createResourceMonitor options', () => {
  const thrown = (run: () => unknown): unknown => {
    try {
      run();
    } catch (error) {
      return error;
    }
    throw new Error('expected an error');
  };

  it('should reject an unknown option with a message naming it (bug: a misspelt intervalMS was ignored)', () => {
    const error = thrown(() => make({ intervalMS: 50 } as never));
    expect(ResourceMonitorError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', data: { unknown: ['intervalMS'] } });
    expect((error as Error).message).toMatch(/unknown option "intervalMS" \(did you mean "intervalMs"\?\)/);
  });

  it('should throw its package error, not a bare TypeError, for bad values and duplicate names', () => {
    expect(thrown(() => make({ intervalMs: 1 }))).toMatchObject({
      name: 'ResourceMonitorError',
      code: 'INVALID_ARGUMENT',
    });
    const rule = { name: 'Twice', metric: 'rssBytes', above: 1 } as const;
    expect(thrown(() => make({ thresholds: [rule, rule] }))).toMatchObject({
      name: 'ResourceMonitorError',
      code: 'DUPLICATE_NAME',
    });
    const monitor = make();
    monitor.addGauge({ name: 'test_gauge', help: 'x', collect: () => 1 });
    const duplicate = thrown(() => monitor.addGauge({ name: 'test_gauge', help: 'x', collect: () => 1 }));
    expect(ResourceMonitorError.isInstance(duplicate)).toBe(true);
    expect(duplicate).toMatchObject({ code: 'DUPLICATE_NAME' });
  });
});
