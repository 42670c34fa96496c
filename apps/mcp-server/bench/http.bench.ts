/**
 * `mimo serve` over loopback HTTP, driven by a load generator in this process (keep-alive fetch, 2026-07-28
 * stateless requests with the standard headers): requests per second, p50 and p99 for `memory_search`
 * (10,000 memories stored) at concurrency 1, 8 and 64, and for a proxied echo tool (server-everything) at
 * concurrency 8; the server's RSS at the end. The rate limit is turned off (`--rate-limit 0`): this measures
 * the server, not the limiter. Prints a table, then `BENCH_JSON {...}` as the last line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMemoryStore } from '@mimo-mcp/memory-store';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const EVERYTHING = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
);
// biome-ignore lint/suspicious/noUndeclaredEnvVars: a knob for running the benchmark by hand, not a task input.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const words = [
  'cache',
  'deploy',
  'volume',
  'key',
  'rotate',
  'monday',
  'build',
  'runner',
  'token',
  'queue',
  'retry',
];

const dir = mkdtempSync(join(tmpdir(), 'mimo-http-bench-'));
const db = join(dir, 'memory.db');
{
  const store = await openMemoryStore({ path: db, namespace: 'bench', limits: { maxBatchSize: 10_000 } });
  await store.createMany(
    Array.from({ length: 10_000 }, (_, i) => ({
      content: `${words[i % 11]} ${words[(i * 7) % 11]} ${words[(i * 3) % 11]} note ${i} about item ${i % 97}`,
    })),
    { nearDuplicates: 'skip' },
  );
  await store.close();
}
const configDir = join(dir, 'config', 'mimo');
await import('node:fs').then(({ mkdirSync, writeFileSync }) => {
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({
      mcpServers: { everything: { command: process.execPath, args: [EVERYTHING], startup: 'eager' } },
    }),
  );
});
const child = spawn(
  process.execPath,
  [CLI, 'serve', '--port', '0', '--rate-limit', '0', '--log-level', 'info'],
  {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: dir,
      MIMO_DB_PATH: db,
      MIMO_NAMESPACE: 'bench',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let stderr = '';
const url = await new Promise<string>((resolve, reject) => {
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    const found = /"url":"(http:\/\/[^"]+\/mcp)"/.exec(stderr)?.[1];
    if (found) resolve(found);
  });
  child.on('exit', (code) => reject(new Error(`mimo serve exited ${code}: ${stderr}`)));
});

const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};
let nextId = 1;
async function call(name: string, args: Record<string, unknown>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': '2026-07-28',
      'Mcp-Method': 'tools/call',
      'Mcp-Name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'tools/call',
      params: { name, arguments: args, _meta: meta },
    }),
  });
  const body = (await response.json()) as { result?: { isError?: boolean }; error?: unknown };
  if (response.status !== 200 || body.error || body.result?.isError) {
    throw new Error(`${name} failed: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

// Wait for the proxied tool.
for (let attempt = 0; ; attempt++) {
  try {
    await call('everything__echo', { message: 'warm' });
    break;
  } catch (error) {
    if (attempt > 100) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function load(concurrency: number, make: (i: number) => Promise<void>) {
  for (let i = 0; i < 50; i++) await make(i);
  const times: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = worker; performance.now() < deadline; i += concurrency) {
        const t = performance.now();
        await make(i);
        times.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(3));
  return { rps: Math.round(times.length / elapsed), p50: at(0.5), p99: at(0.99), n: times.length };
}

const search = (i: number) =>
  call('memory_search', { query: `${words[i % 11]} ${words[(i * 5) % 11]} item ${i % 97}`, maxResults: 10 });
const results = {
  c1: await load(1, search),
  c8: await load(8, search),
  c64: await load(64, search),
  proxy8: await load(8, (i) => call('everything__echo', { message: `ping ${i}` })),
};
const rssBytesEnd =
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
child.kill('SIGTERM');
await new Promise((resolve) => child.on('exit', resolve));

console.log(
  `mimo serve over loopback HTTP (Node ${process.version}; ${SECONDS} s per row; 10,000 memories)\n`,
);
console.log('| load | requests/s | p50 ms | p99 ms | requests |');
console.log('|---|---|---|---|---|');
for (const [name, r] of Object.entries(results))
  console.log(`| ${name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.n} |`);
console.log(`\nserver RSS at the end: ${(rssBytesEnd / 2 ** 20).toFixed(1)} MiB`);
console.log(
  `BENCH_JSON ${JSON.stringify({
    searchRpsC1: results.c1.rps,
    searchP50MsC1: results.c1.p50,
    searchRpsC8: results.c8.rps,
    searchP99MsC8: results.c8.p99,
    searchRpsC64: results.c64.rps,
    searchP50MsC64: results.c64.p50,
    searchP99MsC64: results.c64.p99,
    proxyRpsC8: results.proxy8.rps,
    proxyP50MsC8: results.proxy8.p50,
    proxyP99MsC8: results.proxy8.p99,
    rssBytesEnd,
  })}`,
);
