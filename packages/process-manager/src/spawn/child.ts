import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { type Disposable, Listeners } from '@mimo-mcp/core';
import { ProcessError } from '../errors.js';
import {
  descendants,
  groupAlive,
  hasProcFs,
  listProcessesSync,
  type ProcessEntry,
  readProcess,
  signalGroup,
  signalProcess,
} from '../system/processes.js';
import { ByteRing, LineSplitter } from './output.js';
import type { ResolvedSpec } from './policy.js';

/** How a child ended. */
export interface ExitInfo {
  /** Exit code of the process we started (`null` if it died from a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the exit was asked for (`stop()`), false for a crash or an exit of its own. */
  requested: boolean;
  /** Lifetime from spawn to the end of the whole process group. */
  durationMs: number;
  /** The last lines of stderr (from the bounded buffer), for diagnostics. */
  stderrTail: string;
}

export interface ChildEvents extends Record<string, unknown> {
  /** One line of stderr (cut at `maxLineBytes`, flagged `truncated`). */
  'stderr-line': { line: string; truncated: boolean };
  /** The whole process group is gone. */
  exit: ExitInfo;
}

/** Grace periods of the stop sequence. */
export interface StopOptions {
  /** After closing stdin, how long to wait for the process to exit on its own. @default 2000 */
  stdinGraceMs?: number;
  /** After SIGTERM to the group, how long to wait before SIGKILL. @default 2000 */
  termGraceMs?: number;
}

export interface ChildOptions extends StopOptions {
  /** Bytes of stderr kept for diagnostics. @default 65536 */
  stderrBufferBytes?: number;
  /** Longest stderr line emitted as one event. @default 8192 */
  maxLineBytes?: number;
}

const POLL_MS = 20;
/** Longest wait for the end of stderr after the whole group is gone. */
const STDERR_DRAIN_MS = 1000;
const KILL_WAIT_MS = 5000;

/**
 * One run of one child process, in its own process group (POSIX), spawned without a shell. stdout flows
 * continuously (never paused, so a child cannot block on a full pipe) to whoever listens; stderr goes to
 * a bounded ring buffer and `stderr-line` events. Stopping escalates stdin close → SIGTERM → SIGKILL and
 * always covers the whole group, so nothing the child started survives.
 */
export class ManagedChild {
  readonly pid: number;
  /** Process group id (equal to `pid`: the child leads its own group). */
  readonly pgid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly startedAt: number;
  /** Start time of the process in kernel clock ticks (Linux), to recognise it later; `undefined` elsewhere. */
  readonly startTime: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Resolves when the process and every member of its group are gone. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** Bytes the child wrote to stdout so far. */
  stdoutBytes = 0;

  readonly #process: ChildProcess;
  readonly #events = new Listeners<ChildEvents>();
  readonly #stderr: ByteRing;
  readonly #options: Required<StopOptions>;
  readonly #leaderExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #leaderDone = false;
  #requested = false;
  #terminating: Promise<void> | undefined;
  #tracked: ProcessEntry[] = [];
  #done = false;

  /** @internal use {@link spawnChild} */
  constructor(child: ChildProcess, spec: ResolvedSpec, options: ChildOptions) {
    this.#process = child;
    this.pid = child.pid as number;
    this.pgid = this.pid;
    this.command = spec.command;
    this.args = spec.args;
    this.startedAt = Date.now();
    this.startTime = readProcess(this.pid)?.startTime;
    this.stdin = child.stdin as Writable;
    this.stdout = child.stdout as Readable;
    this.#stderr = new ByteRing(options.stderrBufferBytes ?? 65_536);
    this.#options = { stdinGraceMs: options.stdinGraceMs ?? 2000, termGraceMs: options.termGraceMs ?? 2000 };

    // Pipe errors (EPIPE after the child died) are expected; the exit path reports what happened.
    this.stdin.on('error', () => {});
    this.stdout.on('error', () => {});
    this.stdout.on('data', (chunk: Buffer) => {
      this.stdoutBytes += chunk.length;
    });
    const lines = new LineSplitter(options.maxLineBytes ?? 8192, (line, truncated) =>
      this.#events.emit('stderr-line', { line, truncated }),
    );
    const stderr = child.stderr as Readable;
    stderr.on('error', () => {});
    stderr.on('data', (chunk: Buffer) => {
      this.#stderr.push(chunk);
      lines.push(chunk);
    });
    const stderrDrained = new Promise<void>((resolve) => {
      stderr.once('end', () => {
        lines.flush();
        resolve();
      });
      stderr.once('close', () => resolve());
    });

    this.#leaderExit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#leaderDone = true;
        resolve({ code, signal });
      });
    });
    this.exited = this.#leaderExit.then(async (leader) => {
      // The leader is gone; anything it started in its group goes too (a crash must not leave orphans).
      await this.#terminate();
      // Node may report the exit before the last of stderr is read: a crash explains itself there, so the
      // exit waits for it (briefly: a descendant that left the group could hold the pipe open).
      const drained = new AbortController();
      await Promise.race([
        stderrDrained,
        delay(STDERR_DRAIN_MS, undefined, { signal: drained.signal }).catch(() => {}),
      ]);
      drained.abort();
      this.#done = true;
      const info: ExitInfo = {
        ...leader,
        requested: this.#requested,
        durationMs: Date.now() - this.startedAt,
        stderrTail: this.stderrTail(),
      };
      this.#events.emit('exit', info);
      return info;
    });
  }

  /** True until the whole group is gone. */
  get running(): boolean {
    return !this.#done;
  }

  /** Whether a stop was asked for. */
  get stopping(): boolean {
    return this.#requested;
  }

  /** The last `stderrBufferBytes` of stderr. */
  stderrTail(): string {
    return this.#stderr.toString();
  }

  /** Total bytes written to stderr so far (including those no longer kept). */
  get stderrBytes(): number {
    return this.#stderr.totalBytes;
  }

  on<E extends keyof ChildEvents>(event: E, listener: (payload: ChildEvents[E]) => void): Disposable {
    return this.#events.on(event, listener);
  }

  /** Listeners registered (for leak checks). */
  listenerCount(): number {
    return this.#events.listenerCount();
  }

  /**
   * Stops the child: close stdin, wait `stdinGraceMs`; SIGTERM the group, wait `termGraceMs`; SIGKILL the
   * group and every descendant seen. Resolves when all of them are gone. Idempotent.
   */
  async stop(options: StopOptions = {}): Promise<ExitInfo> {
    if (!this.#requested) {
      this.#requested = true;
      this.#track();
      this.stdin.end();
      const grace = options.stdinGraceMs ?? this.#options.stdinGraceMs;
      if (!this.#leaderDone && grace > 0) {
        // Referenced (a caller awaits this stop), and cancelled as soon as the child is gone.
        const graceOver = new AbortController();
        await Promise.race([
          this.#leaderExit,
          delay(grace, undefined, { signal: graceOver.signal }).catch(() => {}),
        ]);
        graceOver.abort();
      }
      void this.#terminate(options.termGraceMs);
    }
    return this.exited;
  }

  /** Sends `signal` to the whole group now (no escalation). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#done) return;
    this.#track();
    if (process.platform === 'win32') this.#process.kill(signal);
    else signalGroup(this.pgid, signal);
  }

  /** Remembers the current descendants, so those that leave the group are still stopped. */
  #track(): void {
    if (!hasProcFs || this.#leaderDone) return;
    const known = new Set(this.#tracked.map((entry) => entry.pid));
    for (const entry of descendants(listProcessesSync(), this.pid)) {
      if (!known.has(entry.pid)) this.#tracked.push(entry);
    }
  }

  /** SIGTERM → grace → SIGKILL for the group and tracked descendants; shared by every caller. */
  #terminate(termGraceMs = this.#options.termGraceMs): Promise<void> {
    this.#terminating ??= (async () => {
      if (process.platform === 'win32') {
        if (!this.#leaderDone) this.#process.kill('SIGKILL');
        await this.#leaderExit;
        return;
      }
      if (!this.#groupAlive()) return;
      this.#track();
      signalGroup(this.pgid, 'SIGTERM');
      for (const entry of this.#strays()) signalProcess(entry.pid, 'SIGTERM');
      if (await this.#waitGone(termGraceMs)) return;
      signalGroup(this.pgid, 'SIGKILL');
      for (const entry of this.#strays()) signalProcess(entry.pid, 'SIGKILL');
      await this.#waitGone(KILL_WAIT_MS);
    })();
    return this.#terminating;
  }

  /**
   * Tracked descendants now outside the group that are still the same processes (same start time). The group
   * is read now, not when tracked: a grandchild seen between its fork and its `setsid()` was still in the
   * group then, and would otherwise be left to a group kill that no longer reaches it.
   */
  #strays(): ProcessEntry[] {
    return this.#tracked.filter((entry) => {
      const now = readProcess(entry.pid);
      return (
        now !== undefined && now.state !== 'Z' && now.startTime === entry.startTime && now.pgid !== this.pgid
      );
    });
  }

  #groupAlive(): boolean {
    return !this.#leaderDone || groupAlive(this.pgid) || this.#strays().length > 0;
  }

  async #waitGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#groupAlive()) {
      if (Date.now() >= deadline) return false;
      // Referenced: whoever awaits a stop (or `close()`) must see it end; with unref'd waits, a process with
      // nothing else to do (stdin closed) exited before its children were stopped.
      await delay(POLL_MS);
    }
    return true;
  }
}

/**
 * Spawns `spec` (already validated by `resolveSpec`) in its own process group with piped stdio and no
 * shell. Resolves once the operating system started it.
 *
 * @throws {ProcessError} `SPAWN_FAILED` (not found, not executable, bad cwd) naming the command
 */
export function spawnChild(spec: ResolvedSpec, options: ChildOptions = {}): Promise<ManagedChild> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        // On POSIX `detached` makes the child a process-group (and session) leader, so the whole group can
        // be signalled. It does not unref the child: the parent still tracks it.
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } catch (error) {
      reject(spawnFailed(spec, error));
      return;
    }
    const onError = (error: Error) => {
      child.off('spawn', onSpawn);
      reject(spawnFailed(spec, error));
    };
    const onSpawn = () => {
      child.off('error', onError);
      // Later 'error' events (a failed kill) must not crash the process; the exit path reports outcomes.
      child.on('error', () => {});
      resolve(new ManagedChild(child, spec, options));
    };
    child.once('error', onError);
    child.once('spawn', onSpawn);
  });
}

function spawnFailed(spec: ResolvedSpec, error: unknown): ProcessError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? spec.cwd
        ? `not found in PATH, or the working directory ${JSON.stringify(spec.cwd)} does not exist`
        : 'not found in PATH'
      : code === 'EACCES'
        ? 'not executable (permission denied)'
        : ((error as Error).message ?? String(error));
  return new ProcessError('SPAWN_FAILED', `Could not start ${JSON.stringify(spec.command)}: ${reason}`, {
    cause: error,
    data: { command: spec.command, code },
  });
}
