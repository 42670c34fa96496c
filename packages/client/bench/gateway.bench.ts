/**
 * Gateway overhead, all in one run: an echo tool on the same server script, called
 * (a) directly with the official SDK v2 client over stdio, and (b) through the Mimo skill gateway
 * (gateway.callTool → Mimo client → stdio). Reports p50/p99 latency at concurrency 1, throughput at
 * concurrency 8, the added latency and the throughput ratio; the time from a lazy skill's first call to its
 * first result; and the gateway process's RSS with 20 live skills. Rounds alternate direct and gateway to
 * spread machine noise; medians over rounds are reported. Prints a table, then `BENCH_JSON {...}` last.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createSkillGateway } from '../src/index.js';

const ECHO = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
const ROUNDS = 3;
const SEQUENTIAL = 4000;
const CONCURRENT_TOTAL = 16_000;
const CONCURRENCY = 8;

type Call = (message: string) => Promise<unknown>;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const median = (values: number[]) => percentile(values, 50);

async function latencies(call: Call): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const start = performance.now();
    await call(`m${i}`);
    times.push(performance.now() - start);
  }
  return times;
}

async function throughput(call: Call): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_TOTAL) {
        next++;
        await call('x');
      }
    }),
  );
  return CONCURRENT_TOTAL / ((performance.now() - start) / 1000);
}

/** One comparison in one protocol era: the SDK client and the gateway, both pinned to it. */
async function compare(era: 'legacy' | 'modern') {
  const sdk = new Client(
    { name: 'bench-direct', version: '1.0.0' },
    { versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } } },
  );
  await sdk.connect(new StdioClientTransport({ command: process.execPath, args: [ECHO], stderr: 'ignore' }));
  const direct: Call = (message) => sdk.callTool({ name: 'echo', arguments: { message } });
  const gateway = await createSkillGateway({
    config: {
      mcpServers: {
        bench: {
          command: process.execPath,
          args: [ECHO],
          startup: 'eager',
          maxConcurrency: 64,
          protocol: era,
        },
      },
    },
    processManagerOptions: { sampleIntervalMs: 0 },
  });
  await gateway.start();
  const versions = {
    direct: sdk.getNegotiatedProtocolVersion(),
    gateway: gateway.skills()[0]?.protocol?.version,
  };
  const viaGateway: Call = (message) => gateway.callTool('bench__echo', { message });
  for (const call of [direct, viaGateway]) for (let i = 0; i < 1000; i++) await call('warm-up');
  const rounds: Array<Record<string, number>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const d = await latencies(direct);
    const g = await latencies(viaGateway);
    const dThroughput = await throughput(direct);
    const gThroughput = await throughput(viaGateway);
    rounds.push({
      directP50: percentile(d, 50),
      directP99: percentile(d, 99),
      gatewayP50: percentile(g, 50),
      gatewayP99: percentile(g, 99),
      directC8: dThroughput,
      gatewayC8: gThroughput,
      ratio: gThroughput / dThroughput,
    });
  }
  await sdk.close();
  await gateway.close();
  const pick = (key: string) => median(rounds.map((r) => r[key] as number));
  return {
    versions,
    directP50: pick('directP50'),
    directP99: pick('directP99'),
    gatewayP50: pick('gatewayP50'),
    gatewayP99: pick('gatewayP99'),
    directC8: pick('directC8'),
    gatewayC8: pick('gatewayC8'),
    ratio: pick('ratio'),
  };
}

const legacy = await compare('legacy');
const modern = await compare('modern');

// Lazy start: the catalog is known (discovered at start()), the process is not running.
const lazy = await createSkillGateway({
  config: { mcpServers: { lazy: { command: process.execPath, args: [ECHO] } } },
  processManagerOptions: { sampleIntervalMs: 0 },
});
await lazy.start();
const lazyTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  await lazy.stopSkill('lazy');
  const start = performance.now();
  await lazy.callTool('lazy__echo', { message: 'first' });
  lazyTimes.push(performance.now() - start);
}
await lazy.close();

// 20 live skills, measured in a fresh process that runs nothing but the gateway.
const probe = spawnSync(
  process.execPath,
  ['--expose-gc', fileURLToPath(new URL('./rss-probe.mjs', import.meta.url)), '20'],
  {
    encoding: 'utf8',
  },
);
const memory = JSON.parse(probe.stdout.trim().split('\n').at(-1) as string) as {
  baseline: number;
  rss: number;
  live: number;
};

const r = (value: number, digits = 3) => Number(value.toFixed(digits));
const figures = {
  directP50Ms: r(legacy.directP50),
  directP99Ms: r(legacy.directP99),
  gatewayP50Ms: r(legacy.gatewayP50),
  gatewayP99Ms: r(legacy.gatewayP99),
  addedP50Ms: r(legacy.gatewayP50 - legacy.directP50),
  addedP99Ms: r(legacy.gatewayP99 - legacy.directP99),
  directCallsPerSecC8: Math.round(legacy.directC8),
  gatewayCallsPerSecC8: Math.round(legacy.gatewayC8),
  throughputRatioC8: r(legacy.ratio),
  modernDirectP50Ms: r(modern.directP50),
  modernGatewayP50Ms: r(modern.gatewayP50),
  modernAddedP50Ms: r(modern.gatewayP50 - modern.directP50),
  modernDirectCallsPerSecC8: Math.round(modern.directC8),
  modernGatewayCallsPerSecC8: Math.round(modern.gatewayC8),
  modernThroughputRatioC8: r(modern.ratio),
  lazyFirstCallMs: r(median(lazyTimes), 1),
  rssBytes20Skills: memory.rss,
  rssBaselineBytes: memory.baseline,
  liveSkills: memory.live,
};
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
console.log(`gateway benchmark (Node ${process.version}; ${ROUNDS} rounds, medians; echo tool on the SDK v2 server over stdio)

| measure | direct (SDK v2 client) | through the gateway | target |
|---|---|---|---|
| legacy era (${legacy.versions.direct} / ${legacy.versions.gateway}): latency p50, concurrency 1 | ${figures.directP50Ms} ms | ${figures.gatewayP50Ms} ms (added ${figures.addedP50Ms} ms) | added ≤ 0.15 ms |
| legacy era: latency p99, concurrency 1 | ${figures.directP99Ms} ms | ${figures.gatewayP99Ms} ms (added ${figures.addedP99Ms} ms) | – |
| legacy era: throughput, concurrency 8 | ${figures.directCallsPerSecC8}/s | ${figures.gatewayCallsPerSecC8}/s (${(figures.throughputRatioC8 * 100).toFixed(0)}%) | ≥ 70% of direct |
| modern era (${modern.versions.direct} / ${modern.versions.gateway}): latency p50 | ${figures.modernDirectP50Ms} ms | ${figures.modernGatewayP50Ms} ms (added ${figures.modernAddedP50Ms} ms) | added ≤ 0.15 ms |
| modern era: throughput, concurrency 8 | ${figures.modernDirectCallsPerSecC8}/s | ${figures.modernGatewayCallsPerSecC8}/s (${(figures.modernThroughputRatioC8 * 100).toFixed(0)}%) | ≥ 70% of direct |
| lazy skill: first call to first result (spawn, handshake, list, call) | – | ${figures.lazyFirstCallMs} ms | – |
| RSS of a process running the gateway with ${memory.live} live skills | – | ${mib(memory.rss)} (${mib(memory.baseline)} before the gateway) | – |`);
console.log(`BENCH_JSON ${JSON.stringify(figures)}`);
