import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  descendantsOf,
  isAlive,
  listProcesses,
  processesMatching,
  waitFor,
} from '@mimo-mcp/internal-testing/processes';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createProcessManager,
  ProcessError,
  type ProcessManager,
  type ProcessManagerOptions,
  type ServiceEvents,
} from '../src/index.js';
import { alive, fixture, marker, node, tempDir } from './helpers.js';

const managers: ProcessManager[] = [];
function manager(options: ProcessManagerOptions = {}): ProcessManager {
  const created = createProcessManager({ sampleIntervalMs: 0, ...options });
  managers.push(created);
  return created;
}
/** Owner processes started by a test: a failing test must not leave them (and their children) running. */
/** 100 cycles in the suite; `pnpm --filter @mimo-mcp/process-manager stress` runs the long 500. */
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by the package's stress script only, not a task input.
const STRESS_CYCLES = process.env.MIMO_STRESS === '1' ? 500 : 100;

const owners: ChildProcess[] = [];
afterEach(async () => {
  for (const proc of owners.splice(0))
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

async function failure(run: () => Promise<unknown>): Promise<ProcessError> {
  try {
    await run();
  } catch (error) {
    if (ProcessError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ProcessError');
}

describe('spawning', () => {
  it("should give the child a minimal environment and no shell, without its owner's XDG config and data dirs", async () => {
    process.env.MIMO_TEST_SECRET = 'hidden-from-children';
    const names = ['XDG_CONFIG_HOME', 'XDG_DATA_HOME'] as const;
    const saved = names.map((name) => [name, process.env[name]] as const);
    process.env.XDG_CONFIG_HOME = '/owner/private/config';
    process.env.XDG_DATA_HOME = '/owner/private/data';
    const child = await manager().spawn({ ...node('print-env.mjs'), env: { OWN: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    await child.exited;
    const env = JSON.parse(output) as Record<string, string>;
    expect(env.OWN).toBe('1');
    expect(env.MIMO_TEST_SECRET).toBeUndefined();
    expect(env.XDG_CONFIG_HOME).toBeUndefined();
    expect(env.XDG_DATA_HOME).toBeUndefined();
    expect(
      Object.keys(env).every((name) =>
        [
          'OWN',
          'PATH',
          'HOME',
          'USER',
          'LOGNAME',
          'SHELL',
          'TERM',
          'LANG',
          'TMPDIR',
          'TZ',
          'LC_ALL',
          'LC_CTYPE',
          'XDG_RUNTIME_DIR',
          'NODE_EXTRA_CA_CERTS',
          'SSL_CERT_FILE',
          'LANGUAGE',
          'TMP',
          'TEMP',
          'XDG_CACHE_HOME',
          'HTTP_PROXY',
          'HTTPS_PROXY',
          'NO_PROXY',
          'http_proxy',
          'https_proxy',
          'no_proxy',
          'LC_MESSAGES',
        ].includes(name),
      ),
    ).toBe(true);
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('should fail cleanly when a program is missing or not executable, and free the slot', async () => {
    const dir = tempDir();
    const script = join(dir, 'not-executable');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o644);
    const m = manager({ allowedCommands: ['/nonexistent/bin/tool', script], maxProcesses: 1 });
    const missing = await failure(() => m.spawn({ command: '/nonexistent/bin/tool' }));
    expect(missing.code).toBe('SPAWN_FAILED');
    expect(missing.message).toContain('/nonexistent/bin/tool');
    expect((await failure(() => m.spawn({ command: script }))).message).toMatch(/permission denied/);
    expect(m.stats().running).toBe(0);
    expect((await failure(() => m.spawn({ command: 'bash' }))).code).toBe('COMMAND_NOT_ALLOWED');
  });
});

describe('stopping', () => {
  it('should let a well-behaved child exit when its stdin closes', async () => {
    const mark = marker();
    const child = await manager().spawn(node('sleeper.mjs', mark));
    const info = await child.stop();
    expect(info).toMatchObject({ code: 0, signal: null, requested: true });
    expect(alive(mark)).toBe(0);
  });

  it('should SIGKILL a child that ignores stdin and SIGTERM, right after the grace periods', async () => {
    const mark = marker();
    const child = await manager().spawn({
      ...node('stubborn.mjs', mark),
      stop: { stdinGraceMs: 200, termGraceMs: 300 },
    });
    await waitFor(() => child.stderrTail().includes('ready'));
    const started = Date.now();
    const info = await child.stop();
    const took = Date.now() - started;
    expect(info.signal).toBe('SIGKILL');
    // Not before both grace periods (a lower bound holds on any machine; an upper one would not under load).
    expect(took).toBeGreaterThanOrEqual(480);
    expect(alive(mark)).toBe(0);
  });

  it.each([
    [
      'sh with a background grandchild',
      (mark: string) => ({
        command: 'sh',
        args: ['-c', `"${process.execPath}" "${fixture('stubborn.mjs')}" ${mark} & wait`],
      }),
    ],
    [
      'a three-level sh tree',
      (mark: string) => ({
        command: 'sh',
        args: [
          '-c',
          `"${process.execPath}" "${fixture('sleeper.mjs')}" ${mark} & sh -c '"${process.execPath}" "${fixture('stubborn.mjs')}" ${mark} & wait' & wait`,
        ],
      }),
    ],
    ['an npx-style node launcher', (mark: string) => node('wrapper.mjs', fixture('stubborn.mjs'), mark)],
    [
      'a grandchild that left the process group',
      (mark: string) => node('escapee.mjs', fixture('stubborn.mjs'), mark),
    ],
  ])('should leave no descendant alive after stopping %s', async (_name, make) => {
    const mark = marker();
    const m = manager({ allowedCommands: ['sh'], stop: { stdinGraceMs: 100, termGraceMs: 300 } });
    const child = await m.spawn(make(mark));
    await waitFor(() => alive(mark) >= 1);
    await waitFor(() => descendantsOf(child.pid).length >= 1, { timeoutMs: 3000 });
    const tree = [child.pid, ...descendantsOf(child.pid).map((p) => p.pid)];
    await child.stop();
    expect(tree.filter(isAlive)).toEqual([]);
    expect(alive(mark)).toBe(0);
  });

  it('should end its exit info and stderr-line events with the last words a crashing child wrote', async () => {
    const m = manager();
    for (let round = 0; round < 5; round++) {
      const child = await m.spawn(node('last-words.mjs'));
      const lines: string[] = [];
      child.on('stderr-line', ({ line }) => lines.push(line));
      const info = await child.exited;
      expect(info.code).toBe(3);
      expect(info.stderrTail.endsWith('Error: the real reason\n')).toBe(true);
      expect(lines.at(-1)).toBe('Error: the real reason');
    }
  });

  it('should stop the rest of the group when the leader crashes on its own', async () => {
    const mark = marker();
    const m = manager({ stop: { termGraceMs: 300 } });
    const child = await m.spawn(node('wrapper.mjs', '--crash-after=300', fixture('stubborn.mjs'), mark));
    await waitFor(() => alive(mark) >= 1);
    const info = await child.exited;
    expect(info).toMatchObject({ code: 7, requested: false });
    expect(alive(mark)).toBe(0);
  });
});

describe('output', () => {
  it('should survive a 32 MiB flood on stdout and stderr without newlines, keeping 64 KiB of stderr', async () => {
    const m = manager();
    const rssBefore = process.memoryUsage().rss;
    const child = await m.spawn(node('flood.mjs', '32'));
    let lines = 0;
    child.on('stderr-line', () => lines++);
    const info = await child.exited;
    expect(info.code).toBe(0);
    expect(child.stdoutBytes).toBe(32 * 1024 * 1024);
    expect(child.stderrBytes).toBe(32 * 1024 * 1024);
    expect(Buffer.byteLength(child.stderrTail())).toBe(65_536);
    // One endless line: emitted once, cut at the line limit.
    expect(lines).toBe(1);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(96 * 1024 * 1024);
  });
});

describe('limits', () => {
  it('should never run more than maxProcesses, failing fast without a queue', async () => {
    const mark = marker();
    const m = manager({ maxProcesses: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => m.spawn(node('sleeper.mjs', mark))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(3);
    expect(refused.every((r) => (r.reason as ProcessError).code === 'TOO_MANY_PROCESSES')).toBe(true);
    expect(alive(mark)).toBe(3);
  });

  it('should queue over the limit and never exceed it, checked from /proc every 10 ms', async () => {
    const mark = marker();
    const m = manager({ maxProcesses: 4, queue: { maxWaiting: 1000, timeoutMs: 60_000 } });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, alive(mark));
    }, 10);
    const runs = Array.from({ length: 40 }, async () => {
      const child = await m.spawn(node('sleeper.mjs', mark));
      await child.stop();
    });
    await Promise.all(runs);
    clearInterval(sampler);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
    expect(m.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('should time out in the queue and reject queued spawns on close', async () => {
    const m = manager({ maxProcesses: 1, queue: { maxWaiting: 5, timeoutMs: 100 } });
    await m.spawn(node('sleeper.mjs', marker()));
    expect((await failure(() => m.spawn(node('sleeper.mjs', marker())))).code).toBe('QUEUE_TIMEOUT');
    const queued = m.spawn(node('sleeper.mjs', marker()));
    const closing = m.close();
    expect((await failure(() => queued)).code).toBe('CLOSED');
    await closing;
  });
});

describe('services', () => {
  it('should back off after crashes, then stop in crash-loop and refuse to start until reset', async () => {
    const m = manager();
    const service = m.register('crasher', {
      ...node('crasher.mjs', '30'),
      restart: {
        initialDelayMs: 60,
        factor: 2,
        maxDelayMs: 1000,
        jitter: 0.1,
        crashLoop: { maxCrashes: 5, windowMs: 30_000 },
      },
    });
    const delays: number[] = [];
    const loops: Array<ServiceEvents['crash-loop']> = [];
    service.on('restart-scheduled', ({ delayMs }) => delays.push(delayMs));
    service.on('crash-loop', (event) => loops.push(event));
    await service.start();
    await waitFor(() => service.state === 'crash-loop', { timeoutMs: 10_000 });
    expect(delays).toHaveLength(4);
    delays.forEach((delay, i) => {
      const base = 60 * 2 ** i;
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.9));
      expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.1));
    });
    expect(loops[0]).toMatchObject({ id: 'crasher', crashes: 5 });
    expect(loops[0]?.stderrTail).toContain('crasher starting');
    expect((await failure(() => service.start())).code).toBe('CRASH_LOOP');
    const again = await service.start({ resetCrashLoop: true });
    expect(again.running).toBe(true);
    await service.stop();
  });

  it('should start the backoff afresh after a stable run, and grow it for quick crashes', async () => {
    const m = manager();
    const delaysFor = async (runMs: string, stableAfterMs: number) => {
      const service = m.register(`stable-${runMs}-${stableAfterMs}`, {
        ...node('crasher.mjs', runMs),
        restart: {
          initialDelayMs: 40,
          factor: 3,
          maxDelayMs: 5000,
          jitter: 0,
          stableAfterMs,
          crashLoop: { maxCrashes: 10, windowMs: 60_000 },
        },
      });
      const delays: number[] = [];
      service.on('restart-scheduled', ({ delayMs }) => delays.push(delayMs));
      await service.start();
      await waitFor(() => delays.length >= 3, { timeoutMs: 15_000 });
      await service.stop();
      return delays.slice(0, 3);
    };
    // Runs of 300 ms are stable when stableAfterMs is 150: every crash restarts after the initial delay.
    expect(await delaysFor('300', 150)).toEqual([40, 40, 40]);
    // Quick crashes never reach stability: the delay grows.
    expect(await delaysFor('20', 10_000)).toEqual([40, 120, 360]);
  });

  it('should wait for a ready check, report ready, and treat a failed check as a crash', async () => {
    const m = manager();
    const ready: number[] = [];
    const good = m.register('checked', {
      ...node('sleeper.mjs', marker()),
      readyCheck: (child) =>
        waitFor(() => child.stderrTail().includes('ready'), { timeoutMs: 5000 }).then(() => undefined),
    });
    good.on('ready', ({ durationMs }) => ready.push(durationMs));
    const child = await good.start();
    expect(child.stderrTail()).toContain('ready');
    expect(ready).toHaveLength(1);
    const bad = m.register('never-ready', {
      ...node('sleeper.mjs', marker()),
      readyCheck: async () => {
        throw new Error('no banner');
      },
      restart: { initialDelayMs: 10_000 },
    });
    const error = await failure(() => bad.start());
    expect(error.code).toBe('SPAWN_FAILED');
    expect(error.message).toContain('no banner');
    await waitFor(() => bad.state === 'backoff');
  });

  it(`should keep exactly one live child through ${STRESS_CYCLES} rapid stop/start cycles, leaking no listeners`, async () => {
    const mark = marker();
    const m = manager({ allowedCommands: ['sh'] });
    // A shell running `cat` (exits when stdin closes): cheap to start, so the cycles stress the supervisor.
    const service = m.register('cycled', { command: 'sh', args: ['-c', 'cat; true', mark] });
    const baseline = {
      service: service.listenerCount(),
      exit: process.listenerCount('exit'),
      sigterm: process.listenerCount('SIGTERM'),
    };
    // Live children = distinct process groups carrying the marker (a shell forking `cat` briefly shows the
    // marker twice within one group).
    const groups = () => new Set(processesMatching(mark).map((p) => p.pgid)).size;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, groups());
    }, 5);
    const pids = new Set<number>();
    const operations: Array<Promise<unknown>> = [];
    for (let i = 0; i < STRESS_CYCLES; i++) {
      operations.push(service.start().then((child) => pids.add(child.pid)));
      operations.push(service.stop());
      if (i % 25 === 0) await Promise.all(operations.splice(0));
    }
    await Promise.all(operations);
    const last = await service.start();
    clearInterval(sampler);
    expect(peak).toBeLessThanOrEqual(1);
    expect(pids.size).toBe(STRESS_CYCLES);
    expect(groups()).toBe(1);
    expect(last.listenerCount()).toBeLessThanOrEqual(1);
    expect(service.listenerCount()).toBe(baseline.service);
    expect(process.listenerCount('exit')).toBe(baseline.exit);
    expect(process.listenerCount('SIGTERM')).toBe(baseline.sigterm);
    await service.stop();
    expect(alive(mark)).toBe(0);
  }, 120_000);

  it('should sample resource use and restart a child over its RSS limit', async () => {
    const m = manager({ sampleIntervalMs: 100 });
    const service = m.register('hog', {
      ...node('hog.mjs', '150'),
      limits: { maxRssBytes: 100 * 1024 * 1024 },
    });
    const exceeded: Array<ServiceEvents['limit-exceeded']> = [];
    const samples: number[] = [];
    service.on('limit-exceeded', (event) => exceeded.push(event));
    m.on('process-sample', ({ id, rssBytes }) => id === 'hog' && samples.push(rssBytes));
    const first = await service.start();
    await waitFor(() => exceeded.length > 0 && service.child !== undefined && service.child !== first, {
      timeoutMs: 15_000,
    });
    expect(exceeded[0]).toMatchObject({ id: 'hog', limit: 'maxRssBytes', max: 100 * 1024 * 1024 });
    expect(exceeded[0]?.value).toBeGreaterThan(100 * 1024 * 1024);
    expect(Math.max(...samples)).toBeGreaterThan(100 * 1024 * 1024);
    expect(service.restarts).toBeGreaterThanOrEqual(1);
    await service.stop();
  });

  it('should catch a fast leak near its RSS limit, not at the next 5 s sample (limits sample faster)', async () => {
    // The base interval is far away: only the faster sampling of limited services can catch the leak.
    const m = manager({ sampleIntervalMs: 60_000 });
    const limit = 100 * 1024 * 1024;
    // 100 MiB/s up to 1 GiB: between two 5 s samples it would pass its limit ten times over.
    const service = m.register('leaker', {
      ...node('leaker.mjs', '10', '100', '1024'),
      limits: { maxRssBytes: limit },
      restart: false,
    });
    const exceeded: Array<ServiceEvents['limit-exceeded']> = [];
    service.on('limit-exceeded', (event) => exceeded.push(event));
    await service.start();
    await waitFor(() => exceeded.length > 0, { timeoutMs: 30_000 });
    expect(exceeded[0]).toMatchObject({ id: 'leaker', limit: 'maxRssBytes', max: limit });
    expect(exceeded[0]?.value).toBeGreaterThan(limit);
    // Sampled every 100 ms past half the limit: caught well before three times the limit (the bug: 3.4×).
    expect(exceeded[0]?.value).toBeLessThan(3 * limit);
    await waitFor(() => service.state === 'stopped', { timeoutMs: 10_000 });
  }, 60_000);

  it('should stop an idle service and start it again on demand', async () => {
    const mark = marker();
    const m = manager();
    const service = m.register('idle', { ...node('sleeper.mjs', mark), idleTimeoutMs: 150 });
    const idle: number[] = [];
    service.on('idle-stop', ({ idleMs }) => idle.push(idleMs));
    await service.start();
    await waitFor(() => service.state === 'stopped' && alive(mark) === 0, { timeoutMs: 5000 });
    expect(idle[0]).toBeGreaterThanOrEqual(150);
    await service.start();
    expect(alive(mark)).toBe(1);
  });
});

/** Runs test/fixtures/owner.mjs (a process with a manager and live children) and reads its child pids. */
async function owner(
  mode: string,
  stateDir: string,
  count: number,
  mark: string,
  script = 'stubborn.mjs',
  options: { watchdog?: boolean } = {},
) {
  const proc = spawn(
    process.execPath,
    [fixture('owner.mjs'), mode, stateDir, String(count), mark, fixture(script)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MIMO_TEST_WATCHDOG: options.watchdog === false ? '0' : '1' },
    },
  );
  owners.push(proc);
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor(() => output.includes('\n'), { timeoutMs: 15_000 });
  const { pids } = JSON.parse(output) as { pids: number[] };
  return { proc, pids, exited };
}

describe('crash recovery and exit', () => {
  it('should reap every child of a SIGKILLed owner at the next start', async () => {
    const mark = marker();
    const stateDir = tempDir();
    const { proc, pids, exited } = await owner('wait', stateDir, 5, mark, 'stubborn.mjs', {
      watchdog: false,
    });
    expect(pids.every(isAlive)).toBe(true);
    proc.kill('SIGKILL');
    await exited;
    // The children ignore stdin EOF, SIGTERM and a broken stderr pipe: they all survive their owner.
    const survivors = pids.filter(isAlive);
    expect(survivors).toEqual(pids);
    const next = manager({ stateDir });
    const reaped = await next.reapLeftovers();
    expect(reaped.sort()).toEqual([...survivors].sort());
    await waitFor(() => alive(mark) === 0, { timeoutMs: 5000 });
    expect(processesMatching(mark)).toEqual([]);
  }, 30_000);

  it('should leave no descendant alive after its owner is SIGKILLed (the watchdog stops every group)', async () => {
    const mark = marker();
    const { proc, pids, exited } = await owner('wait', tempDir(), 3, mark, 'family.mjs');
    // The owner, three skills, and each skill's two grandchildren that ignore stdin EOF and SIGTERM.
    await waitFor(() => alive(mark) === 10, { timeoutMs: 15_000 });
    expect(alive(mark)).toBe(10);
    proc.kill('SIGKILL');
    await exited;
    // Nobody starts a new manager: the watchdog alone must stop them (SIGTERM, 1 s grace, SIGKILL).
    await waitFor(() => alive(mark) === 0, { timeoutMs: 15_000 });
    expect(processesMatching(mark)).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 40_000);

  it('should run no watchdog when stopOnExit is false (children are meant to outlive the owner)', async () => {
    const mark = marker();
    const m = createProcessManager({ sampleIntervalMs: 0, stopOnExit: false });
    managers.push(m);
    await m.register('one', node('sleeper.mjs', mark)).start();
    const watchdogs = () =>
      listProcesses().filter((p) => p.ppid === process.pid && p.cmdline.includes('node -e'));
    expect(watchdogs()).toEqual([]);
  });

  it('should end its watchdog on close, leaving no process behind', async () => {
    const mark = marker();
    const m = createProcessManager({ sampleIntervalMs: 0 });
    await m.register('one', node('sleeper.mjs', mark)).start();
    const watchdogs = () =>
      listProcesses().filter((p) => p.ppid === process.pid && p.cmdline.includes('node -e'));
    await waitFor(() => watchdogs().length === 1, { timeoutMs: 5000 });
    expect(watchdogs()).toHaveLength(1);
    await m.close();
    await waitFor(() => watchdogs().length === 0, { timeoutMs: 5000 });
    expect(watchdogs()).toEqual([]);
    expect(alive(mark)).toBe(0);
  });

  it("should finish close() in a process with nothing else to do (bug: unref'd waits let Node exit before its children were stopped)", async () => {
    const mark = marker();
    const proc = spawn(process.execPath, [fixture('closer.mjs'), fixture('stubborn.mjs'), mark], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    owners.push(proc);
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => proc.on('exit', (exit) => resolve(exit)));
    expect({ code, output }).toEqual({ code: 0, output: 'closed' });
    await waitFor(() => alive(mark) === 0, { timeoutMs: 10_000 });
    expect(alive(mark)).toBe(0);
  });

  it.each([
    ['a normal exit', 'exit'],
    ['an uncaught error', 'throw'],
  ])('should stop its children on %s', async (_name, mode) => {
    const mark = marker();
    const { pids, exited } = await owner(mode, tempDir(), 3, mark, 'sleeper.mjs');
    const result = await exited;
    expect(result.code).toBe(mode === 'exit' ? 0 : 1);
    await waitFor(() => alive(mark) === 0, { timeoutMs: 3000 });
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('should stop its children on SIGTERM and still die from the signal', async () => {
    const mark = marker();
    const { proc, pids, exited } = await owner('wait', tempDir(), 3, mark, 'sleeper.mjs');
    proc.kill('SIGTERM');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(pids.filter(isAlive)).toEqual([]);
    expect(alive(mark)).toBe(0);
  });
});
