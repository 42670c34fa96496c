/**
 * Memory of `mimo` (stdio) under 200k pipelined pings: the client writes every ping as fast as the pipe takes
 * them and reads the answers as they come, so the server's stdout is backpressured most of the time (issue
 * #11: a leak of two listeners per backpressured write took RSS from 72 to 295 MiB). The server's RSS is read
 * from /proc/<pid>/status (Linux) before the pings, every 50 ms while they run, and 2 s after the last answer.
 * Arguments: the number of pings (default 200000), then Node flags for the server (e.g.
 * `--max-semi-space-size=2`, to see how much of the growth is V8's young generation).
 * Prints a table, then `BENCH_JSON {...}` as the last line. Run: `pnpm --filter mimo-mcp bench:stdio`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const [pingsArgument, ...NODE_FLAGS] = process.argv.slice(2);
const PINGS = Number(pingsArgument ?? 200_000);

const rssMiB = (pid: number): number => {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
};

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mimo-bench-stdio-'));
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
      MIMO_DB_PATH: join(dir, 'memory.db'),
      MIMO_NAMESPACE: 'bench',
      MIMO_LOG_LEVEL: 'warn',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let answered = 0;
  let pending = '';
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      answered++;
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    for (const waiter of waiters.filter((w) => answered >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const answers = (count: number) =>
    answered >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }));
  const write = (line: string) =>
    child.stdin.write(`${line}\n`) ? Promise.resolve() : new Promise((r) => child.stdin.once('drain', r));

  await write(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  );
  await answers(1);
  await write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  // Warm up, then let the heap settle before the baseline.
  for (let i = 0; i < 2000; i++) await write(JSON.stringify({ jsonrpc: '2.0', id: `w${i}`, method: 'ping' }));
  await answers(2001);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const pid = child.pid as number;
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 50);
  const started = performance.now();
  for (let i = 1; i <= PINGS; i++) await write(`{"jsonrpc":"2.0","id":${i},"method":"ping"}`);
  await answers(2001 + PINGS);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  // Like the baseline, read after the heap settles.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = rssMiB(pid);
  peak = Math.max(peak, after);
  const warnings = (stderr.match(/MaxListenersExceededWarning/g) ?? []).length;
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  rmSync(dir, { recursive: true, force: true });

  const figures = {
    pings: PINGS,
    rssBeforeMiB: Number(before.toFixed(1)),
    rssPeakMiB: Number(peak.toFixed(1)),
    rssAfterMiB: Number(after.toFixed(1)),
    rssGrowthPeakMiB: Number((peak - before).toFixed(1)),
    rssGrowthAfterMiB: Number((after - before).toFixed(1)),
    pingsPerSecond: Math.round(PINGS / seconds),
    maxListenersWarnings: warnings,
  };
  console.table(figures);
  console.log(`BENCH_JSON ${JSON.stringify(figures)}`);
}

await main();
