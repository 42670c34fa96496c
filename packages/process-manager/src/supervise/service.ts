import { type Disposable, Listeners } from '@mimo-mcp/core';
import { ProcessError } from '../errors.js';
import type { ExitInfo, ManagedChild, StopOptions } from '../spawn/child.js';
import type { ProcessSpec, ResolvedSpec } from '../spawn/policy.js';
import { CrashWindow, type RestartPolicy, restartDelay } from './restart-policy.js';

/** The shortest span CPU use is measured over. */
const CPU_WINDOW_MS = 900;

/** A supervised program: started on demand, restarted after crashes, stopped when idle. */
export interface ServiceSpec extends ProcessSpec {
  /** Restart after a crash (`false`: never). @default DEFAULT_RESTART_POLICY */
  restart?: Partial<RestartPolicy> | false;
  /** Resource limits checked at every sample; exceeding one restarts the service (and counts as a crash). */
  limits?: {
    /** Resident memory of the whole process group. */
    maxRssBytes?: number;
    /** CPU use of the whole group between two samples, in percent of one core. */
    maxCpuPercent?: number;
  };
  /** Stop the service after this long without `touch()`; the next `start()` runs it again. */
  idleTimeoutMs?: number;
  /** Grace periods of the stop sequence. */
  stop?: StopOptions;
  /**
   * Resolves when a new child is ready to work (e.g. it printed a banner, or answered a handshake);
   * `start()` resolves after it and `ready` is emitted. A rejection stops the child and counts as a crash.
   * @default ready as soon as the operating system started the process
   */
  readyCheck?: (child: ManagedChild, signal: AbortSignal) => Promise<void>;
  /** Longest wait for `readyCheck`. @default 30000 */
  readyTimeoutMs?: number;
}

/**
 * `stopped`: not running (never started, stopped, or idle); `starting`; `running`; `backoff`: crashed, a
 * restart is scheduled; `stopping`; `crash-loop`: crashed too often, not restarted until `start()` is
 * called with `resetCrashLoop`.
 */
export type ServiceState = 'stopped' | 'starting' | 'running' | 'backoff' | 'stopping' | 'crash-loop';

export interface ServiceEvents extends Record<string, unknown> {
  spawn: { id: string; pid: number; child: ManagedChild; restarts: number };
  /** The child passed its `readyCheck` (or, without one, right after `spawn`). */
  ready: { id: string; pid: number; durationMs: number };
  exit: ExitInfo & { id: string; pid: number };
  'restart-scheduled': { id: string; delayMs: number; attempt: number; crashesInWindow: number };
  'crash-loop': { id: string; crashes: number; windowMs: number; stderrTail: string };
  'limit-exceeded': {
    id: string;
    pid: number;
    limit: 'maxRssBytes' | 'maxCpuPercent';
    value: number;
    max: number;
  };
  'idle-stop': { id: string; pid: number; idleMs: number };
  'state-change': { id: string; from: ServiceState; to: ServiceState };
  'stderr-line': { id: string; pid: number; line: string; truncated: boolean };
}

/** What a service needs from its manager. @internal */
export interface ServiceHost {
  launch(spec: ResolvedSpec, options: StopOptions, signal: AbortSignal | undefined): Promise<ManagedChild>;
  forward<E extends keyof ServiceEvents>(event: E, payload: ServiceEvents[E]): void;
}

/** A running or stoppable service. Created by `ProcessManager.register`. */
export class Service {
  readonly id: string;
  readonly spec: ResolvedSpec;
  readonly policy: RestartPolicy | undefined;
  readonly limits: NonNullable<ServiceSpec['limits']>;
  readonly idleTimeoutMs: number | undefined;
  /** Number of restarts after crashes so far. */
  restarts = 0;

  readonly #host: ServiceHost;
  readonly #stopOptions: StopOptions;
  readonly #readyCheck: ServiceSpec['readyCheck'];
  readonly #readyTimeoutMs: number;
  readonly #events = new Listeners<ServiceEvents>();
  readonly #crashes = new CrashWindow();
  #state: ServiceState = 'stopped';
  #child: ManagedChild | undefined;
  /** Serialises start/stop/restart so that at most one child exists at any time. */
  #queue: Promise<unknown> = Promise.resolve();
  #starting: Promise<ManagedChild> | undefined;
  #backoffTimer: NodeJS.Timeout | undefined;
  #backoffWaiters: Array<{ resolve: (child: ManagedChild) => void; reject: (error: unknown) => void }> = [];
  #stableTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #lastActivity = 0;
  #consecutive = 0;
  #forcedCrash = false;
  #lastSample: { at: number; cpuMs: number } | undefined;
  #lastRssBytes = 0;

  /** @internal use `ProcessManager.register` */
  constructor(
    id: string,
    spec: ResolvedSpec,
    options: ServiceSpec,
    defaults: RestartPolicy,
    host: ServiceHost,
  ) {
    this.id = id;
    this.spec = spec;
    this.policy =
      options.restart === false
        ? undefined
        : {
            ...defaults,
            ...options.restart,
            crashLoop: { ...defaults.crashLoop, ...(options.restart?.crashLoop ?? {}) },
          };
    this.limits = options.limits ?? {};
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.#stopOptions = options.stop ?? {};
    this.#readyCheck = options.readyCheck;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    this.#host = host;
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** The current child, while one runs. */
  get child(): ManagedChild | undefined {
    return this.#child?.running ? this.#child : undefined;
  }

  on<E extends keyof ServiceEvents>(event: E, listener: (payload: ServiceEvents[E]) => void): Disposable {
    return this.#events.on(event, listener);
  }

  listenerCount(): number {
    return this.#events.listenerCount();
  }

  /**
   * Runs the service if it is not running and resolves with its child. During a restart backoff it waits
   * for the scheduled restart. In `crash-loop` it rejects unless `resetCrashLoop` is set.
   *
   * @throws {ProcessError} `CRASH_LOOP`, `TOO_MANY_PROCESSES`, `QUEUE_TIMEOUT`, `SPAWN_FAILED`, `ABORTED`, `STOPPED`, `CLOSED`
   */
  start(options: { signal?: AbortSignal; resetCrashLoop?: boolean } = {}): Promise<ManagedChild> {
    this.touch();
    if (this.#state === 'running' && this.#child?.running && !this.#child.stopping) {
      return Promise.resolve(this.#child);
    }
    if (this.#state === 'crash-loop') {
      if (!options.resetCrashLoop) {
        return Promise.reject(
          new ProcessError(
            'CRASH_LOOP',
            `Service ${JSON.stringify(this.id)} crashed ${this.policy?.crashLoop.maxCrashes} times within ${this.policy?.crashLoop.windowMs} ms and is not restarted; start it with resetCrashLoop to try again`,
            { data: { id: this.id } },
          ),
        );
      }
      this.#crashes.reset();
      this.#consecutive = 0;
    }
    if (this.#state === 'backoff') {
      return new Promise((resolve, reject) => this.#backoffWaiters.push({ resolve, reject }));
    }
    this.#starting ??= this.#queueSpawn(options.signal);
    return this.#starting;
  }

  /** Stops the service (cancelling a scheduled restart) and resolves when its process group is gone. */
  stop(): Promise<void> {
    // A start() after this stop must get a child that runs after it, not the one being stopped.
    this.#starting = undefined;
    this.#clearBackoff(new ProcessError('STOPPED', `Service ${JSON.stringify(this.id)} was stopped`));
    return this.#serial(async () => {
      this.#clearBackoff(new ProcessError('STOPPED', `Service ${JSON.stringify(this.id)} was stopped`));
      await this.#stopChild();
      if (this.#state !== 'crash-loop') this.#setState('stopped');
    });
  }

  /** Stops the current child (if any) and starts a new one. Resets crash-loop state. */
  restart(options: { signal?: AbortSignal } = {}): Promise<ManagedChild> {
    this.#starting = undefined;
    this.#clearBackoff(new ProcessError('STOPPED', `Service ${JSON.stringify(this.id)} is restarting`));
    return this.#serial(async () => {
      await this.#stopChild();
      this.#crashes.reset();
      this.#consecutive = 0;
      return this.#spawn(options.signal);
    });
  }

  /** Whether the last sample was past half of `limits.maxRssBytes` (the manager then samples it more often). */
  get nearLimit(): boolean {
    const max = this.limits.maxRssBytes;
    return max !== undefined && this.child !== undefined && this.#lastRssBytes > max / 2;
  }

  /** Records activity, postponing an idle stop. */
  touch(): void {
    this.#lastActivity = Date.now();
  }

  /** @internal Called by the manager's sampler with the group's totals. */
  sample(rssBytes: number, cpuMs: number, at: number): { cpuPercent: number | undefined } {
    this.#lastRssBytes = rssBytes;
    const previous = this.#lastSample;
    // CPU time comes in 10 ms clock ticks: measured over less than a second, the percentage is mostly noise,
    // so a fast (near-limit) sample keeps the older reference point.
    const windowMs = previous ? at - previous.at : 0;
    if (!previous || windowMs >= CPU_WINDOW_MS) this.#lastSample = { at, cpuMs };
    const cpuPercent =
      previous && windowMs >= CPU_WINDOW_MS
        ? Math.max(0, ((cpuMs - previous.cpuMs) / windowMs) * 100)
        : undefined;
    const child = this.#child;
    if (!child?.running || child.stopping || this.#forcedCrash) return { cpuPercent };
    const { maxRssBytes, maxCpuPercent } = this.limits;
    let exceeded: ServiceEvents['limit-exceeded'] | undefined;
    if (maxRssBytes !== undefined && rssBytes > maxRssBytes) {
      exceeded = { id: this.id, pid: child.pid, limit: 'maxRssBytes', value: rssBytes, max: maxRssBytes };
    } else if (maxCpuPercent !== undefined && cpuPercent !== undefined && cpuPercent > maxCpuPercent) {
      exceeded = {
        id: this.id,
        pid: child.pid,
        limit: 'maxCpuPercent',
        value: cpuPercent,
        max: maxCpuPercent,
      };
    }
    if (exceeded) {
      this.#forcedCrash = true;
      this.#emit('limit-exceeded', exceeded);
      // Over a limit counts as a crash: the restart policy (and crash-loop detection) takes it from here.
      void child.stop(this.#stopOptions);
    }
    return { cpuPercent };
  }

  #queueSpawn(signal: AbortSignal | undefined): Promise<ManagedChild> {
    const starting: Promise<ManagedChild> = this.#serial(() => this.#spawn(signal)).finally(() => {
      if (this.#starting === starting) this.#starting = undefined;
    });
    return starting;
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #spawn(signal: AbortSignal | undefined): Promise<ManagedChild> {
    if (this.#child?.running && !this.#child.stopping) return this.#child;
    this.#setState('starting');
    let child: ManagedChild;
    try {
      child = await this.#host.launch(this.spec, this.#stopOptions, signal);
    } catch (error) {
      this.#setState('stopped');
      throw error;
    }
    this.#child = child;
    this.#forcedCrash = false;
    this.#lastSample = undefined;
    const stderr = child.on('stderr-line', ({ line, truncated }) =>
      this.#emit('stderr-line', { id: this.id, pid: child.pid, line, truncated }),
    );
    void child.exited.then((info) => {
      stderr.dispose();
      this.#onExit(child, info);
    });
    this.#setState('running');
    this.#armStable();
    this.#armIdle();
    this.#emit('spawn', { id: this.id, pid: child.pid, child, restarts: this.restarts });
    if (this.#readyCheck) {
      const readySignal = AbortSignal.any([
        AbortSignal.timeout(this.#readyTimeoutMs),
        ...(signal ? [signal] : []),
      ]);
      try {
        await this.#readyCheck(child, readySignal);
      } catch (error) {
        // Not ready: the child goes, and the restart policy treats it as a crash.
        this.#forcedCrash = true;
        void child.stop(this.#stopOptions);
        throw new ProcessError(
          'SPAWN_FAILED',
          `Service ${JSON.stringify(this.id)} did not become ready: ${(error as Error)?.message ?? error}`,
          {
            cause: error,
          },
        );
      }
    }
    this.#emit('ready', { id: this.id, pid: child.pid, durationMs: Date.now() - child.startedAt });
    return child;
  }

  async #stopChild(): Promise<void> {
    const child = this.#child;
    if (!child?.running) return;
    this.#setState('stopping');
    await child.stop(this.#stopOptions);
  }

  #onExit(child: ManagedChild, info: ExitInfo): void {
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#idleTimer);
    this.#emit('exit', { ...info, id: this.id, pid: child.pid });
    if (child !== this.#child) return;
    const crashed = !info.requested || this.#forcedCrash;
    this.#forcedCrash = false;
    if (!crashed) return;
    if (!this.policy) {
      this.#setState('stopped');
      return;
    }
    const crashes = this.#crashes.record(Date.now(), this.policy.crashLoop.windowMs);
    if (crashes >= this.policy.crashLoop.maxCrashes) {
      this.#setState('crash-loop');
      this.#emit('crash-loop', {
        id: this.id,
        crashes,
        windowMs: this.policy.crashLoop.windowMs,
        stderrTail: info.stderrTail,
      });
      this.#clearBackoff(
        new ProcessError(
          'CRASH_LOOP',
          `Service ${JSON.stringify(this.id)} is crash-looping (${crashes} crashes)`,
        ),
      );
      return;
    }
    this.#consecutive++;
    const delayMs = restartDelay(this.#consecutive, this.policy);
    this.#setState('backoff');
    this.#emit('restart-scheduled', {
      id: this.id,
      delayMs,
      attempt: this.#consecutive,
      crashesInWindow: crashes,
    });
    this.#backoffTimer = setTimeout(() => {
      this.#backoffTimer = undefined;
      if (this.#state !== 'backoff') return;
      this.restarts++;
      const waiters = this.#backoffWaiters;
      this.#backoffWaiters = [];
      this.#starting = this.#queueSpawn(undefined);
      this.#starting.then(
        (next) => {
          for (const waiter of waiters) waiter.resolve(next);
        },
        (error) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      );
    }, delayMs);
    this.#backoffTimer.unref();
  }

  #clearBackoff(reason: ProcessError): void {
    if (this.#backoffTimer) {
      clearTimeout(this.#backoffTimer);
      this.#backoffTimer = undefined;
    }
    const waiters = this.#backoffWaiters;
    this.#backoffWaiters = [];
    for (const waiter of waiters) waiter.reject(reason);
  }

  #armStable(): void {
    if (!this.policy) return;
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => {
      this.#consecutive = 0;
    }, this.policy.stableAfterMs);
    this.#stableTimer.unref();
  }

  #armIdle(): void {
    const idle = this.idleTimeoutMs;
    if (idle === undefined) return;
    clearTimeout(this.#idleTimer);
    const check = () => {
      const child = this.#child;
      if (!child?.running || this.#state !== 'running') return;
      const quiet = Date.now() - this.#lastActivity;
      if (quiet >= idle) {
        this.#emit('idle-stop', { id: this.id, pid: child.pid, idleMs: quiet });
        void this.stop();
        return;
      }
      this.#idleTimer = setTimeout(check, idle - quiet);
      this.#idleTimer.unref();
    };
    this.#idleTimer = setTimeout(check, idle);
    this.#idleTimer.unref();
  }

  #setState(to: ServiceState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#emit('state-change', { id: this.id, from, to });
  }

  #emit<E extends keyof ServiceEvents>(event: E, payload: ServiceEvents[E]): void {
    this.#events.emit(event, payload);
    this.#host.forward(event, payload);
  }
}
