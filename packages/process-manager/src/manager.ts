import { type Disposable, formatIssues, Listeners } from '@mimo-mcp/core';
import { z } from 'zod';
import { ProcessError } from './errors.js';
import { type ManagedChild, type StopOptions, spawnChild } from './spawn/child.js';
import {
  DEFAULT_ALLOWED_COMMANDS,
  DEFAULT_INHERITED_ENV,
  type ProcessSpec,
  type ResolvedSpec,
  resolveSpec,
} from './spawn/policy.js';
import { DEFAULT_RESTART_POLICY } from './supervise/restart-policy.js';
import { Service, type ServiceEvents, type ServiceHost, type ServiceSpec } from './supervise/service.js';
import { GroupRegistry, reapLeftovers } from './system/group-registry.js';
import {
  groupMembers,
  hasProcFs,
  listProcesses,
  listProcessesSync,
  signalGroup,
} from './system/processes.js';
import { Watchdog } from './system/watchdog.js';

const OptionsSchema = z.strictObject({
  /** Programs that may be started: bare names (looked up in PATH) or absolute paths. @default node, npx, npm, uvx, python3, docker */
  allowedCommands: z.array(z.string().min(1)).default([...DEFAULT_ALLOWED_COMMANDS]),
  /** Parent variables every child inherits. @default DEFAULT_INHERITED_ENV */
  inheritEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([...DEFAULT_INHERITED_ENV]),
  /** Most children alive at once (counting those still stopping). @default 16 */
  maxProcesses: z.int().min(1).max(10_000).default(16),
  /** Over `maxProcesses`: fail at once (`false`), or wait for a slot. @default false */
  queue: z
    .union([
      z.literal(false),
      z.strictObject({
        /** @default 100 */
        maxWaiting: z.int().min(1).default(100),
        /** @default 30000 */
        timeoutMs: z.int().min(1).default(30_000),
      }),
    ])
    .default(false),
  /**
   * Directory for the registry of live process groups, so a later start can stop what a crashed run left
   * behind. Without it there is no crash recovery.
   */
  stateDir: z.string().min(1).optional(),
  /** Grace periods of the stop sequence (stdin close → SIGTERM → SIGKILL). @default 2000 each */
  stop: z
    .strictObject({ stdinGraceMs: z.int().min(0).optional(), termGraceMs: z.int().min(0).optional() })
    .default({}),
  /** Bytes of each child's stderr kept for diagnostics. @default 65536 */
  stderrBufferBytes: z
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(65_536),
  /** How often child resource use (RSS, CPU) is sampled; 0 turns sampling off. @default 5000 */
  sampleIntervalMs: z.int().min(0).default(5000),
  /**
   * How often services with a resource limit (`limits`) are sampled, and a tenth of it (at least 50 ms) while
   * one of them is past half its memory limit: a fast leak is caught near its limit, not several times over it.
   * @default 1000
   */
  limitSampleIntervalMs: z.int().min(50).default(1000),
  /**
   * Stop children when this process exits (normally, on an uncaught error, or on SIGINT/SIGTERM/SIGHUP when
   * nothing else handles the signal). @default true
   */
  stopOnExit: z.boolean().default(true),
  /**
   * Run a small watchdog process (POSIX) that stops every child group when this process dies, even by
   * SIGKILL, so nothing outlives it (children that ignore stdin EOF would otherwise run until the next start
   * reaps them). Its grace between SIGTERM and SIGKILL is 1 s. @default `stopOnExit`, except on Windows
   */
  watchdog: z.boolean().optional(),
});

export type ProcessManagerOptions = z.input<typeof OptionsSchema>;

export interface ProcessManagerEvents extends ServiceEvents {
  /** Resource use of one service's process group. */
  'process-sample': {
    id: string;
    pid: number;
    rssBytes: number;
    cpuPercent: number | undefined;
    processes: number;
    /** The service's own memory limit (`limits.maxRssBytes`), if it has one. */
    maxRssBytes: number | undefined;
  };
  /** Groups left behind by a crashed earlier run were stopped. */
  'leftovers-reaped': { pids: number[] };
}

export interface ProcessManagerStats {
  running: number;
  waiting: number;
  maxProcesses: number;
  services: number;
}

/**
 * Starts and supervises child processes. See {@link createProcessManager}.
 */
export interface ProcessManager extends AsyncDisposable {
  /**
   * Registers a supervised service (not started yet). The spec is validated now: a bad command or argument
   * fails here, not at the first start.
   * @throws {ProcessError} `COMMAND_NOT_ALLOWED`, `INVALID_ARGUMENT`, `ENV_NOT_DECLARED`, `CLOSED`
   */
  register(id: string, spec: ServiceSpec): Service;
  /** Stops and forgets a service. */
  unregister(id: string): Promise<void>;
  get(id: string): Service | undefined;
  services(): Service[];
  /**
   * Starts one unsupervised child (no restarts); it counts against `maxProcesses` until its group is gone.
   * @throws {ProcessError} as `register`, plus `TOO_MANY_PROCESSES`, `QUEUE_TIMEOUT`, `SPAWN_FAILED`, `ABORTED`
   */
  spawn(
    spec: ProcessSpec & { stop?: StopOptions },
    options?: { signal?: AbortSignal },
  ): Promise<ManagedChild>;
  /** Stops groups left behind by crashed earlier runs (done once automatically before the first spawn). */
  reapLeftovers(): Promise<number[]>;
  stats(): ProcessManagerStats;
  on<E extends keyof ProcessManagerEvents>(
    event: E,
    listener: (payload: ProcessManagerEvents[E]) => void,
  ): Disposable;
  /** Stops every child and service, removes exit hooks and the registry file. Idempotent. */
  close(): Promise<void>;
}

const EXIT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const hasLimits = (service: Service): boolean =>
  service.limits.maxRssBytes !== undefined || service.limits.maxCpuPercent !== undefined;

/**
 * One set of process hooks for every live manager (per-manager hooks would pile up listeners, and each
 * would see the others as "another handler").
 */
const exitHooks = (() => {
  const managers = new Set<Manager>();
  const onExit = () => {
    for (const manager of managers) manager.killAllNow();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // Only when nothing else handles the signal: then the process would have died at once, so stop the
    // children first and re-raise it. Another handler means the application manages its own shutdown
    // (and the exit hook still stops the children when it exits).
    if (process.listenerCount(signal) > 1) return;
    void Promise.allSettled([...managers].map((manager) => manager.close())).finally(() => {
      uninstall();
      process.kill(process.pid, signal);
    });
  };
  const install = () => {
    process.on('exit', onExit);
    for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
  };
  const uninstall = () => {
    process.off('exit', onExit);
    for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
  };
  return {
    add(manager: Manager) {
      if (managers.size === 0) install();
      managers.add(manager);
    },
    delete(manager: Manager) {
      if (managers.delete(manager) && managers.size === 0) uninstall();
    },
  };
})();

/**
 * Creates a process manager: the only way Mimo starts programs. Commands must be on the allow-list and are
 * spawned without a shell, with a minimal environment, each in its own process group; stopping covers the
 * whole group; `maxProcesses` is enforced where processes are spawned; a registry file lets the next start
 * stop what a crashed run left behind.
 *
 * @throws {ProcessError} `INVALID_ARGUMENT` for unknown or invalid options
 * @example
 * const manager = createProcessManager({ maxProcesses: 8, stateDir: '/var/run/mimo' });
 * const fs = manager.register('fs', { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] });
 * const child = await fs.start();
 * child.stdout.on('data', (chunk) => …);
 * await manager.close();
 */
export function createProcessManager(options: ProcessManagerOptions = {}): ProcessManager {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    const detail = formatIssues(parsed.error, { root: '(options)' });
    throw new ProcessError('INVALID_ARGUMENT', `Invalid process manager options: ${detail}`);
  }
  return new Manager(parsed.data);
}

type ResolvedOptions = z.output<typeof OptionsSchema>;

class Manager implements ProcessManager {
  readonly #options: ResolvedOptions;
  readonly #events = new Listeners<ProcessManagerEvents>();
  readonly #services = new Map<string, Service>();
  readonly #children = new Set<ManagedChild>();
  readonly #registry: GroupRegistry;
  readonly #watchdog: Watchdog | undefined;
  readonly #waiters: Array<{ grant: () => void; fail: (error: unknown) => void }> = [];
  readonly #host: ServiceHost;
  #running = 0;
  #reaped: Promise<number[]> | undefined;
  #sampler: NodeJS.Timeout | undefined;
  #lastFullSample = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#registry = new GroupRegistry(options.stateDir);
    const watchdog = options.watchdog ?? (options.stopOnExit && process.platform !== 'win32');
    this.#watchdog = watchdog ? new Watchdog() : undefined;
    this.#host = {
      launch: (spec, stop, signal) => this.#launch(spec, stop, signal),
      forward: (event, payload) => this.#events.emit(event, payload),
    };
    if (options.stopOnExit) exitHooks.add(this);
    this.#scheduleSample();
  }

  register(id: string, spec: ServiceSpec): Service {
    this.#assertOpen();
    if (typeof id !== 'string' || !/^[A-Za-z0-9_.:@-]{1,128}$/.test(id)) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `Service id ${JSON.stringify(id)} must be 1–128 letters, digits or _ . : @ -`,
      );
    }
    if (this.#services.has(id))
      throw new ProcessError('INVALID_ARGUMENT', `Service ${JSON.stringify(id)} is already registered`);
    const service = new Service(id, this.#resolve(spec), spec, DEFAULT_RESTART_POLICY, this.#host);
    this.#services.set(id, service);
    // A limited service may need sampling sooner than the timer now set.
    if (hasLimits(service)) this.#scheduleSample();
    return service;
  }

  async unregister(id: string): Promise<void> {
    const service = this.#services.get(id);
    if (!service) return;
    this.#services.delete(id);
    await service.stop();
  }

  get(id: string): Service | undefined {
    return this.#services.get(id);
  }

  services(): Service[] {
    return [...this.#services.values()];
  }

  async spawn(
    spec: ProcessSpec & { stop?: StopOptions },
    options: { signal?: AbortSignal } = {},
  ): Promise<ManagedChild> {
    this.#assertOpen();
    return this.#launch(this.#resolve(spec), spec.stop ?? {}, options.signal);
  }

  reapLeftovers(): Promise<number[]> {
    this.#reaped ??= (async () => {
      if (!this.#options.stateDir) return [];
      const pids = await reapLeftovers(this.#options.stateDir);
      if (pids.length > 0) this.#events.emit('leftovers-reaped', { pids });
      return pids;
    })();
    return this.#reaped;
  }

  stats(): ProcessManagerStats {
    return {
      running: this.#running,
      waiting: this.#waiters.length,
      maxProcesses: this.#options.maxProcesses,
      services: this.#services.size,
    };
  }

  on<E extends keyof ProcessManagerEvents>(
    event: E,
    listener: (payload: ProcessManagerEvents[E]) => void,
  ): Disposable {
    return this.#events.on(event, listener);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#sampler);
      const closed = new ProcessError('CLOSED', 'The process manager is closed');
      for (const waiter of this.#waiters.splice(0)) waiter.fail(closed);
      await Promise.all([
        ...[...this.#services.values()].map((service) => service.stop().catch(() => {})),
        ...[...this.#children].map((child) => child.stop()),
      ]);
      this.#registry.clear();
      this.#watchdog?.close();
      exitHooks.delete(this);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ProcessError('CLOSED', 'The process manager is closed');
  }

  #resolve(spec: ProcessSpec): ResolvedSpec {
    return resolveSpec(spec, {
      allowedCommands: this.#options.allowedCommands,
      inheritEnv: this.#options.inheritEnv,
    });
  }

  /** The one place children are spawned: slot first, then the registry, so the limit and crash recovery hold. */
  async #launch(
    spec: ResolvedSpec,
    stop: StopOptions,
    signal: AbortSignal | undefined,
  ): Promise<ManagedChild> {
    this.#assertOpen();
    if (signal?.aborted) throw new ProcessError('ABORTED', 'The spawn was aborted', { cause: signal.reason });
    await this.reapLeftovers();
    // close() may have run while leftovers were reaped: it already failed the waiters it saw.
    this.#assertOpen();
    await this.#acquire(signal);
    let child: ManagedChild;
    try {
      this.#assertOpen();
      child = await spawnChild(spec, {
        ...this.#options.stop,
        ...stop,
        stderrBufferBytes: this.#options.stderrBufferBytes,
      });
    } catch (error) {
      this.#release();
      throw error;
    }
    this.#children.add(child);
    this.#registry.add({
      pgid: child.pgid,
      startTime: child.startTime,
      command: spec.command,
      spawnedAt: child.startedAt,
    });
    this.#watchdog?.add(child.pgid, child.startTime);
    void child.exited.then(() => {
      this.#children.delete(child);
      this.#registry.remove(child.pgid);
      this.#watchdog?.remove(child.pgid);
      this.#release();
    });
    if (this.#closed) void child.stop();
    return child;
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.#running < this.#options.maxProcesses) {
      this.#running++;
      return Promise.resolve();
    }
    const queue = this.#options.queue;
    if (queue === false || this.#waiters.length >= queue.maxWaiting) {
      return Promise.reject(
        new ProcessError(
          'TOO_MANY_PROCESSES',
          `${this.#running} processes are running, the limit is maxProcesses = ${this.#options.maxProcesses}` +
            (queue === false ? '' : ` and ${this.#waiters.length} requests already wait (queue.maxWaiting)`),
          { data: { running: this.#running, maxProcesses: this.#options.maxProcesses } },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          cleanup();
          this.#running++;
          resolve();
        },
        fail: (error: unknown) => {
          cleanup();
          reject(error);
        },
      };
      const timer = setTimeout(
        () =>
          entry.fail(
            new ProcessError(
              'QUEUE_TIMEOUT',
              `Waited ${queue.timeoutMs} ms for one of ${this.#options.maxProcesses} process slots (queue.timeoutMs)`,
            ),
          ),
        queue.timeoutMs,
      );
      timer.unref();
      const onAbort = () =>
        entry.fail(new ProcessError('ABORTED', 'The spawn was aborted', { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#waiters.indexOf(entry);
        if (index !== -1) this.#waiters.splice(index, 1);
      };
      this.#waiters.push(entry);
    });
  }

  #release(): void {
    this.#running--;
    const next = this.#waiters[0];
    if (next && this.#running < this.#options.maxProcesses) next.grant();
  }

  /** Arms the sampling timer for the soonest sample any service needs (see `limitSampleIntervalMs`). */
  #scheduleSample(): void {
    clearTimeout(this.#sampler);
    this.#sampler = undefined;
    const { sampleIntervalMs, limitSampleIntervalMs } = this.#options;
    if (this.#closed || sampleIntervalMs === 0) return;
    const limited = [...this.#services.values()].filter(hasLimits);
    let delayMs = sampleIntervalMs;
    if (limited.length > 0) delayMs = Math.min(delayMs, limitSampleIntervalMs);
    if (limited.some((service) => service.nearLimit)) delayMs = Math.max(50, limitSampleIntervalMs / 10);
    this.#sampler = setTimeout(() => {
      void this.#sample().finally(() => this.#scheduleSample());
    }, delayMs);
    this.#sampler.unref();
  }

  async #sample(): Promise<void> {
    const at = Date.now();
    // Every service at the base interval; in between, only the limited ones.
    const full = at - this.#lastFullSample >= this.#options.sampleIntervalMs;
    if (full) this.#lastFullSample = at;
    const live = [...this.#services.values()].filter(
      (service) => service.child && (full || hasLimits(service)),
    );
    if (live.length === 0) return;
    let all: Awaited<ReturnType<typeof listProcesses>>;
    try {
      all = await listProcesses();
    } catch {
      // Out of descriptors or /proc unreadable for a moment: skip this sample, never crash the owner.
      return;
    }
    for (const service of live) {
      const child = service.child;
      if (!child) continue;
      const members = groupMembers(all, child.pgid);
      if (members.length === 0) continue;
      const rssBytes = members.reduce((sum, entry) => sum + (entry.rssBytes ?? 0), 0);
      const cpuMs = members.reduce((sum, entry) => sum + (entry.cpuMs ?? 0), 0);
      const { cpuPercent } = service.sample(rssBytes, cpuMs, at);
      this.#events.emit('process-sample', {
        id: service.id,
        pid: child.pid,
        rssBytes,
        cpuPercent,
        processes: members.length,
        maxRssBytes: service.limits.maxRssBytes,
      });
    }
  }

  /**
   * On process exit only synchronous work is possible: SIGTERM every group, give them up to 500 ms, then
   * SIGKILL whatever is left. The registry file is removed only if nothing survived.
   */
  killAllNow(): void {
    const groups = [...this.#children].filter((child) => child.running).map((child) => child.pgid);
    if (groups.length === 0) return;
    for (const pgid of groups) signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + 500;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const alive = () => {
      const all = listProcessesSync();
      return all.length === 0 ? groups : groups.filter((pgid) => groupMembers(all, pgid).length > 0);
    };
    while (Date.now() < deadline && alive().length > 0) Atomics.wait(pause, 0, 0, 10);
    const left = alive();
    for (const pgid of left) signalGroup(pgid, 'SIGKILL');
    // With /proc the SIGKILLs are certain; without it, keep the registry for the next start to check.
    if (left.length === 0 || hasProcFs) this.#registry.clear();
  }
}
