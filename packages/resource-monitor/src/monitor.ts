import { readdirSync } from 'node:fs';
import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type Disposable, Listeners, type OptionKeys, rejectUnknownOptions } from '@mimo-mcp/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ResourceMonitorError } from './errors.js';
import { type Alert, ThresholdEvaluator, type ThresholdRule } from './thresholds.js';

/** One child process as reported by whoever runs it (e.g. `@mimo-mcp/process-manager`'s `process-sample`). */
export interface ChildSample {
  /** A stable label, e.g. the skill or service id. */
  id: string;
  pid: number;
  rssBytes: number;
  cpuPercent: number | undefined;
  /**
   * The child's own memory limit, when it has one (its supervisor enforces it). Children without one are
   * watched by the `ChildMemoryHigh` rule on `unlimitedChildRssBytes`.
   */
  maxRssBytes?: number | undefined;
}

/** What one sample saw. Byte sizes in bytes, delays in milliseconds. */
export interface ResourceSnapshot {
  at: string;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  eventLoopDelayP50Ms: number;
  eventLoopDelayP99Ms: number;
  /** Share of time the event loop was busy since the previous sample, 0…1. */
  eventLoopUtilization: number;
  activeHandles: number;
  /** Open file descriptors (Linux); `undefined` elsewhere. */
  openFds: number | undefined;
  childProcesses: number;
  children: ChildSample[];
  /** The largest resident memory of a child that has no `maxRssBytes` of its own (0 if none). */
  unlimitedChildRssBytes: number;
  /** Values of the registered gauges (summed over label sets). */
  gauges: Record<string, number>;
  alerts: Alert[];
}

/** A value the application adds to every sample, the metrics, and the threshold rules. */
export interface GaugeDefinition {
  /** Prometheus name, e.g. `mimo_db_file_bytes`. */
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** The current value, or one value per label set. Called at every sample and every scrape. */
  collect: () => number | ReadonlyArray<{ labels: Record<string, string>; value: number }> | undefined;
}

export interface ResourceMonitorOptions {
  /** Sampling interval (the timer is unref'd). @default 10000 */
  intervalMs?: number;
  /** @default DEFAULT_THRESHOLDS */
  thresholds?: readonly ThresholdRule[];
  /** The prom-client registry to register metrics in. @default a new one */
  registry?: Registry;
  /** Prefix of the built-in metric names. @default 'mimo_' */
  prefix?: string;
}

export interface ResourceMonitorEvents extends Record<string, unknown> {
  'alert-raised': Alert;
  'alert-resolved': Alert;
  sample: ResourceSnapshot;
  /**
   * A sample on the interval failed (e.g. `EMFILE` from `process.memoryUsage()` when the process is out of
   * file descriptors); sampling goes on at the next tick.
   */
  'sample-error': { error: unknown };
}

const OPTION_KEYS = {
  intervalMs: true,
  thresholds: true,
  registry: true,
  prefix: true,
} satisfies OptionKeys<ResourceMonitorOptions>;

/** Metric names the monitor itself registers (with the default prefix). */
export const BUILTIN_METRICS = [
  'mimo_process_resident_memory_bytes',
  'mimo_process_heap_used_bytes',
  'mimo_process_heap_total_bytes',
  'mimo_process_external_memory_bytes',
  'mimo_process_array_buffers_bytes',
  'mimo_event_loop_delay_seconds',
  'mimo_event_loop_utilization',
  'mimo_active_handles',
  'mimo_open_fds',
  'mimo_child_processes',
  'mimo_child_resident_memory_bytes',
  'mimo_child_cpu_percent',
  'mimo_alert_active',
] as const;

/**
 * Sensible defaults: high memory held for a minute; a stalled event loop held for 30 s; a child without a
 * memory limit of its own over 1 GiB (checked at every child sample, so a fast leak is seen at once).
 */
export const DEFAULT_THRESHOLDS: readonly ThresholdRule[] = [
  { name: 'MemoryHigh', metric: 'rssBytes', level: 'warning', above: 1024 ** 3, forMs: 60_000 },
  { name: 'EventLoopLagHigh', metric: 'eventLoopDelayP99Ms', level: 'warning', above: 250, forMs: 30_000 },
  { name: 'ChildMemoryHigh', metric: 'unlimitedChildRssBytes', level: 'warning', above: 1024 ** 3 },
];

export interface MetricDefinition {
  /** Prometheus name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface CounterMetric {
  inc(labels?: Record<string, string>, value?: number): void;
}

export interface HistogramMetric {
  observe(labels: Record<string, string>, seconds: number): void;
}

/** Latency buckets from 0.5 ms to 30 s. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export interface ResourceMonitor extends Disposable {
  /** The registry holding every metric (serve `await registry.metrics()` with `registry.contentType`). */
  readonly registry: Registry;
  /** Starts the interval (idempotent). A sample that fails there emits `sample-error`; the next one runs. */
  start(): void;
  /**
   * Takes a sample now, evaluates thresholds and emits events.
   * @throws what `process.memoryUsage()` throws (e.g. `EMFILE` when out of file descriptors)
   */
  sample(): ResourceSnapshot;
  /** The last sample (taking one if there is none yet). */
  snapshot(): ResourceSnapshot;
  /** Prometheus text exposition of every metric. */
  metrics(): Promise<string>;
  addGauge(definition: GaugeDefinition): Disposable;
  /** A counter the caller increments (e.g. requests by status). */
  addCounter(definition: MetricDefinition): CounterMetric;
  /** A histogram of durations in seconds (e.g. tool-call latency by tool and outcome). */
  addHistogram(definition: MetricDefinition & { buckets?: readonly number[] }): HistogramMetric;
  recordChild(sample: ChildSample): void;
  forgetChild(id: string): void;
  activeAlerts(): Alert[];
  on<E extends keyof ResourceMonitorEvents>(
    event: E,
    listener: (payload: ResourceMonitorEvents[E]) => void,
  ): Disposable;
  /** Stops sampling and unregisters nothing (the registry stays readable). Idempotent. */
  close(): void;
}

function openFds(): number | undefined {
  try {
    // The directory listing itself holds one descriptor.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/**
 * Creates a resource monitor: samples memory, event-loop delay and utilisation, handles, file descriptors
 * and child processes on an unref'd interval; evaluates threshold rules with hysteresis (raising and
 * resolving alerts as events); and exposes everything as Prometheus metrics and a JSON snapshot.
 *
 * @throws {ResourceMonitorError} `INVALID_ARGUMENT` for an unknown option (the message names it) or a bad
 *   value; `DUPLICATE_NAME` for two threshold rules with one name
 * @example
 * const monitor = createResourceMonitor({ thresholds: [{ name: 'MemoryHigh', metric: 'rssBytes', above: 512 * 2 ** 20 }] });
 * monitor.on('alert-raised', (alert) => log.warn(alert, 'resource alert'));
 * monitor.addGauge({ name: 'mimo_db_file_bytes', help: 'Database file size', collect: () => statSync(db).size });
 * monitor.start();
 */
export function createResourceMonitor(options: ResourceMonitorOptions = {}): ResourceMonitor {
  rejectUnknownOptions('createResourceMonitor', options, OPTION_KEYS, ResourceMonitorError);
  const intervalMs = options.intervalMs ?? 10_000;
  if (!Number.isInteger(intervalMs) || intervalMs < 10) {
    throw new ResourceMonitorError(
      'INVALID_ARGUMENT',
      `intervalMs must be an integer ≥ 10, got ${String(intervalMs)}`,
    );
  }
  const prefix = options.prefix ?? 'mimo_';
  const registry = options.registry ?? new Registry();
  const evaluator = new ThresholdEvaluator(options.thresholds ?? DEFAULT_THRESHOLDS);
  const events = new Listeners<ResourceMonitorEvents>();
  const gauges = new Map<string, { definition: GaugeDefinition; gauge: Gauge }>();
  const children = new Map<string, ChildSample>();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  let last: ResourceSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name: `${prefix}${name}`, help, labelNames, registers: [registry] });
  const rss = gauge('process_resident_memory_bytes', 'Resident memory of this process');
  const heapUsed = gauge('process_heap_used_bytes', 'V8 heap in use');
  const heapTotal = gauge('process_heap_total_bytes', 'V8 heap reserved');
  const external = gauge('process_external_memory_bytes', 'Memory of C++ objects bound to JavaScript');
  const arrayBuffers = gauge('process_array_buffers_bytes', 'Memory of ArrayBuffers and Buffers');
  const loopDelay = gauge('event_loop_delay_seconds', 'Event-loop delay over the last interval', [
    'quantile',
  ]);
  const loopUtilization = gauge(
    'event_loop_utilization',
    'Share of time the event loop was busy over the last interval',
  );
  const handles = gauge('active_handles', 'Active handles and requests keeping the event loop alive');
  const fds = gauge('open_fds', 'Open file descriptors (Linux)');
  const childCount = gauge('child_processes', 'Child processes reported alive');
  const childRss = gauge('child_resident_memory_bytes', 'Resident memory of a child process group', [
    'child',
  ]);
  const childCpu = gauge('child_cpu_percent', 'CPU use of a child process group, percent of one core', [
    'child',
  ]);
  const alertActive = gauge('alert_active', 'Active alerts (1 while raised)', ['alert', 'level']);
  for (const rule of evaluator.rules())
    alertActive.set({ alert: rule.name, level: rule.level ?? 'warning' }, 0);

  const unlimitedChildRss = (): number =>
    Math.max(
      0,
      ...[...children.values()].filter((child) => child.maxRssBytes === undefined).map((c) => c.rssBytes),
    );

  const report = (transitions: ReturnType<ThresholdEvaluator['evaluate']>): void => {
    for (const transition of transitions) {
      const labels = { alert: transition.alert.name, level: transition.alert.level };
      alertActive.set(labels, transition.kind === 'raised' ? 1 : 0);
      events.emit(transition.kind === 'raised' ? 'alert-raised' : 'alert-resolved', transition.alert);
    }
  };

  const gaugeValue = (definition: GaugeDefinition): number | undefined => {
    try {
      const value = definition.collect();
      if (value === undefined) return undefined;
      if (typeof value === 'number') return value;
      return value.reduce((sum, entry) => sum + entry.value, 0);
    } catch {
      return undefined;
    }
  };

  const take = (): ResourceSnapshot => {
    const memory = process.memoryUsage();
    const elu = performance.eventLoopUtilization(lastElu);
    lastElu = performance.eventLoopUtilization();
    const p50 = delay.count > 0 ? delay.percentile(50) / 1e6 : 0;
    const p99 = delay.count > 0 ? delay.percentile(99) / 1e6 : 0;
    delay.reset();
    const gaugeValues: Record<string, number> = {};
    for (const [name, { definition }] of gauges) {
      const value = gaugeValue(definition);
      if (value !== undefined) gaugeValues[name] = value;
    }
    const snapshot: ResourceSnapshot = {
      at: new Date().toISOString(),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
      eventLoopDelayP50Ms: p50,
      eventLoopDelayP99Ms: p99,
      eventLoopUtilization: elu.utilization,
      activeHandles: process.getActiveResourcesInfo().length,
      openFds: openFds(),
      childProcesses: children.size,
      children: [...children.values()].map((child) => ({ ...child })),
      unlimitedChildRssBytes: unlimitedChildRss(),
      gauges: gaugeValues,
      alerts: [],
    };
    rss.set(snapshot.rssBytes);
    heapUsed.set(snapshot.heapUsedBytes);
    heapTotal.set(snapshot.heapTotalBytes);
    external.set(snapshot.externalBytes);
    arrayBuffers.set(snapshot.arrayBuffersBytes);
    loopDelay.set({ quantile: '0.5' }, p50 / 1000);
    loopDelay.set({ quantile: '0.99' }, p99 / 1000);
    loopUtilization.set(snapshot.eventLoopUtilization);
    handles.set(snapshot.activeHandles);
    if (snapshot.openFds !== undefined) fds.set(snapshot.openFds);
    childCount.set(snapshot.childProcesses);
    const lookup = (metric: string): number | undefined => {
      const direct = (snapshot as unknown as Record<string, unknown>)[metric];
      return typeof direct === 'number' ? direct : gaugeValues[metric];
    };
    report(evaluator.evaluate(lookup, Date.now()));
    snapshot.alerts = evaluator.active();
    last = snapshot;
    events.emit('sample', snapshot);
    return snapshot;
  };

  return {
    registry,
    start() {
      if (timer || closed) return;
      // The timer's callback must never throw: an exception there is uncaught and ends the process, at
      // the very moment (descriptors exhausted) the process most needs to keep serving.
      timer = setInterval(() => {
        try {
          take();
        } catch (error) {
          events.emit('sample-error', { error });
        }
      }, intervalMs);
      timer.unref();
    },
    sample: take,
    snapshot: () => last ?? take(),
    async metrics() {
      return registry.metrics();
    },
    addCounter(definition) {
      const counter = new Counter({
        name: definition.name,
        help: definition.help,
        labelNames: [...(definition.labelNames ?? [])],
        registers: [registry],
      });
      return { inc: (labels = {}, value = 1) => counter.inc(labels, value) };
    },
    addHistogram(definition) {
      const histogram = new Histogram({
        name: definition.name,
        help: definition.help,
        labelNames: [...(definition.labelNames ?? [])],
        buckets: [...(definition.buckets ?? DURATION_BUCKETS_SECONDS)],
        registers: [registry],
      });
      return { observe: (labels, seconds) => histogram.observe(labels, seconds) };
    },
    addGauge(definition) {
      if (gauges.has(definition.name))
        throw new ResourceMonitorError(
          'DUPLICATE_NAME',
          `A gauge named ${definition.name} is already registered; give the new one another name`,
        );
      const metric = new Gauge({
        name: definition.name,
        help: definition.help,
        labelNames: [...(definition.labelNames ?? [])],
        registers: [registry],
        collect() {
          const value = (() => {
            try {
              return definition.collect();
            } catch {
              return undefined;
            }
          })();
          this.reset();
          if (value === undefined) return;
          if (typeof value === 'number') this.set(value);
          else for (const entry of value) this.set(entry.labels, entry.value);
        },
      });
      gauges.set(definition.name, { definition, gauge: metric });
      const dispose = () => {
        gauges.delete(definition.name);
        registry.removeSingleMetric(definition.name);
      };
      return { dispose, [Symbol.dispose]: dispose };
    },
    recordChild(sample) {
      children.set(sample.id, { ...sample });
      childRss.set({ child: sample.id }, sample.rssBytes);
      if (sample.cpuPercent !== undefined) childCpu.set({ child: sample.id }, sample.cpuPercent);
      childCount.set(children.size);
      // Child samples come more often than the monitor's own; the child rules need not wait for it.
      const value = unlimitedChildRss();
      report(
        evaluator.evaluate((metric) => (metric === 'unlimitedChildRssBytes' ? value : undefined), Date.now()),
      );
    },
    forgetChild(id) {
      if (!children.delete(id)) return;
      childRss.remove({ child: id });
      childCpu.remove({ child: id });
      childCount.set(children.size);
      const value = unlimitedChildRss();
      report(
        evaluator.evaluate((metric) => (metric === 'unlimitedChildRssBytes' ? value : undefined), Date.now()),
      );
    },
    activeAlerts: () => evaluator.active(),
    on: (event, listener) => events.on(event, listener),
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      timer = undefined;
      delay.disable();
    },
    dispose() {
      this.close();
    },
    [Symbol.dispose]() {
      this.close();
    },
  };
}
