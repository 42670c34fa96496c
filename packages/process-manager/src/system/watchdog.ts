import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The watchdog process's program, run with `node -e`: a string, not a file, so it works wherever this
 * package is bundled (the `mimo` server inlines it). It reads `+<pgid> <startTime>` and `-<pgid>` lines on
 * stdin. When stdin ends (its owner exited or was SIGKILLed: the kernel closes the pipe either way) it sends
 * SIGTERM to every group still listed, waits up to `graceMs`, SIGKILLs what is left, and exits.
 *
 * A group is signalled only while it is certainly the one that was listed: a process group id cannot be
 * reused while the group has members, and a live leader must still have the recorded start time.
 */
export function watchdogSource(graceMs: number): string {
  return `'use strict';
const fs = require('fs');
const groups = new Map();
const startTimeOf = (pid) => {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch { return undefined; }
};
const signalAll = (signal) => {
  for (const [pgid, startTime] of groups) {
    const leader = startTimeOf(pgid);
    if (leader !== undefined && startTime !== undefined && leader !== startTime) { groups.delete(pgid); continue; }
    try { process.kill(-pgid, signal); } catch { groups.delete(pgid); }
  }
};
let buffered = '';
let finishing = false;
const finish = () => {
  if (finishing) return;
  finishing = true;
  signalAll('SIGTERM');
  const deadline = Date.now() + ${Math.max(0, Math.floor(graceMs))};
  const check = () => {
    signalAll(0);
    if (groups.size === 0) process.exit(0);
    if (Date.now() >= deadline) { signalAll('SIGKILL'); process.exit(0); }
    setTimeout(check, 20);
  };
  check();
};
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let end;
  while ((end = buffered.indexOf('\\n')) !== -1) {
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    const [pgid, startTime] = line.slice(1).split(' ').map((part) => (part === '' ? undefined : Number(part)));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line[0] === '+') groups.set(pgid, startTime);
    else if (line[0] === '-') groups.delete(pgid);
  }
});
process.stdin.on('end', finish);
process.stdin.on('error', finish);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, finish);
`;
}

/** Restarts of a watchdog that died, at most this many per window; then the registry file is the only line. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * The owner's side of the watchdog: a small detached process (its own session, so signals to the owner's
 * group do not reach it) holding the read end of a pipe from this process. It knows every live child
 * group; when this process dies, however it dies, the pipe closes and the watchdog stops those groups.
 * Without it, a SIGKILLed owner leaves children that ignore stdin EOF running until the next start reaps
 * them. Started on the first `add`; restarted (and told every group again) if it dies.
 */
export class Watchdog {
  readonly #graceMs: number;
  readonly #groups = new Map<number, number | undefined>();
  #process: ChildProcess | undefined;
  #restarts: number[] = [];
  #closed = false;

  constructor(options: { graceMs?: number } = {}) {
    this.#graceMs = options.graceMs ?? 1000;
  }

  /** The watchdog's pid while it runs (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  add(pgid: number, startTime: number | undefined): void {
    if (this.#closed) return;
    this.#groups.set(pgid, startTime);
    if (!this.#process) this.#start();
    else this.#write(`+${pgid} ${startTime ?? ''}\n`);
  }

  remove(pgid: number): void {
    if (this.#groups.delete(pgid)) this.#write(`-${pgid}\n`);
  }

  /** Ends the watchdog: its stdin closes with no group listed, so it exits at once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pgid of this.#groups.keys()) this.#write(`-${pgid}\n`);
    this.#groups.clear();
    this.#process?.stdin?.end();
    this.#process = undefined;
  }

  #start(): void {
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['-e', watchdogSource(this.#graceMs)], {
        detached: true,
        shell: false,
        stdio: ['pipe', 'ignore', 'ignore'],
        env: {},
        windowsHide: true,
      });
    } catch {
      // Without a watchdog, the registry file still lets the next start reap what a crash left behind.
      return;
    }
    this.#process = child;
    // A failed spawn (EAGAIN, EMFILE) emits 'error' and may never emit 'exit'.
    child.on('error', () => {
      if (this.#process === child) this.#process = undefined;
    });
    child.stdin?.on('error', () => {});
    // Neither the process nor its pipe may keep this process alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    child.once('exit', () => {
      if (this.#process !== child) return;
      this.#process = undefined;
      // Restarted, but not in a loop: a `node -e` that cannot run here would respawn for ever.
      const now = Date.now();
      this.#restarts = this.#restarts.filter((at) => now - at < RESTART_WINDOW_MS);
      if (this.#closed || this.#groups.size === 0 || this.#restarts.length >= MAX_RESTARTS) return;
      this.#restarts.push(now);
      this.#start();
    });
    const lines = [...this.#groups].map(([pgid, startTime]) => `+${pgid} ${startTime ?? ''}\n`).join('');
    if (lines) this.#write(lines);
  }

  #write(text: string): void {
    const stdin = this.#process?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(text);
  }
}
