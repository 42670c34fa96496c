/**
 * mimo vs the official @modelcontextprotocol/server-memory, each driven by the official SDK client (v1) over
 * stdio, in one run:
 * - spawn-to-ready: from spawning the server to a finished `initialize` handshake (median of 7);
 * - store: p50 of `memory_store` (mimo) / `create_entities` with one entity (official), with 1,000 and with
 *   10,000 items already stored;
 * - search: p50 of `memory_search` (mimo) / `search_nodes` (official) at 1,000 and 10,000 items.
 * Both stores are preloaded to the same contents before each measurement (mimo through its library, the
 * official server by writing its memory.jsonl), so only the measured calls go through MCP.
 * Prints a table, then `BENCH_JSON {...}` as the last line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pseudoVocabulary, zipfPicker } from '@mimo-mcp/internal-testing/text';
import { openMemoryStore } from '@mimo-mcp/memory-store';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const OFFICIAL = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/server-memory/dist/index.js', import.meta.url),
);
const STORE_CALLS = 200;
const SEARCH_CALLS = 100;

let seed = 11;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
const word = zipfPicker(pseudoVocabulary({ size: 3000, syllables: 12, offset: 13 }), random);
const sentence = (i: number) => `${Array.from({ length: 10 + (i % 12) }, word).join(' ')} item${i}`;
const texts = Array.from({ length: 10_000 + STORE_CALLS * 2 }, (_, i) => sentence(i));
const queries = Array.from({ length: SEARCH_CALLS }, (_, i) => {
  const words = (texts[(i * 97) % 10_000] as string).split(' ');
  return `${words[1]} ${words[3]}`;
});

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function connect(command: string, args: string[], env: Record<string, string>) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const started = performance.now();
  await client.connect(
    new StdioClientTransport({
      command,
      args,
      env: { PATH: process.env.PATH ?? '', ...env },
      stderr: 'ignore',
    }),
  );
  return { client, spawnToReadyMs: performance.now() - started };
}

async function timeCalls(count: number, call: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await call(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await call(i);
    times.push(performance.now() - start);
  }
  return median(times);
}

async function measureMimo(items: number, dir: string) {
  const db = join(dir, `mimo-${items}.db`);
  const store = await openMemoryStore({ path: db, namespace: 'bench', limits: { maxBatchSize: 10_000 } });
  await store.createMany(
    texts.slice(0, items).map((content) => ({ content })),
    { nearDuplicates: 'skip' },
  );
  await store.close();
  const env = {
    MIMO_DB_PATH: db,
    MIMO_NAMESPACE: 'bench',
    MIMO_LOG_LEVEL: 'silent',
    XDG_CONFIG_HOME: dir,
    XDG_DATA_HOME: dir,
    HOME: dir,
  };
  const { client } = await connect(process.execPath, [CLI], env);
  const offset = 10_000 + (items === 1000 ? 0 : STORE_CALLS);
  const store50 = await timeCalls(STORE_CALLS, (i) =>
    client.callTool({
      name: 'memory_store',
      arguments: { content: i < 0 ? `warm ${i} ${items}` : (texts[offset + i] as string) },
    }),
  );
  const search50 = await timeCalls(SEARCH_CALLS, (i) =>
    client.callTool({
      name: 'memory_search',
      arguments: { query: queries[Math.max(0, i)] as string, maxResults: 10 },
    }),
  );
  await client.close();
  return { store50, search50 };
}

async function measureOfficial(items: number, dir: string) {
  const file = join(dir, `official-${items}.jsonl`);
  writeFileSync(
    file,
    texts
      .slice(0, items)
      .map((text, i) =>
        JSON.stringify({ type: 'entity', name: `entity-${i}`, entityType: 'note', observations: [text] }),
      )
      .join('\n'),
  );
  const { client } = await connect(process.execPath, [OFFICIAL], { MEMORY_FILE_PATH: file });
  const offset = 10_000 + (items === 1000 ? 0 : STORE_CALLS);
  const create50 = await timeCalls(STORE_CALLS, (i) =>
    client.callTool({
      name: 'create_entities',
      arguments: {
        entities: [
          {
            name: `new-${items}-${i}`,
            entityType: 'note',
            observations: [i < 0 ? 'warm' : (texts[offset + i] as string)],
          },
        ],
      },
    }),
  );
  const search50 = await timeCalls(SEARCH_CALLS, (i) =>
    client.callTool({
      name: 'search_nodes',
      arguments: { query: (queries[Math.max(0, i)] as string).split(' ')[0] as string },
    }),
  );
  await client.close();
  return { create50, search50 };
}

const dir = mkdtempSync(join(tmpdir(), 'mimo-server-bench-'));
// Spawn-to-ready, alternating the two servers.
const mimoReady: number[] = [];
const officialReady: number[] = [];
{
  const seedStore = await openMemoryStore({ path: join(dir, 'ready.db'), namespace: 'bench' });
  await seedStore.close();
}
for (let i = 0; i < 7; i++) {
  const mimo = await connect(process.execPath, [CLI], {
    MIMO_DB_PATH: join(dir, 'ready.db'),
    MIMO_LOG_LEVEL: 'silent',
    XDG_CONFIG_HOME: dir,
    XDG_DATA_HOME: dir,
    HOME: dir,
  });
  mimoReady.push(mimo.spawnToReadyMs);
  await mimo.client.close();
  const official = await connect(process.execPath, [OFFICIAL], {
    MEMORY_FILE_PATH: join(dir, 'ready.jsonl'),
  });
  officialReady.push(official.spawnToReadyMs);
  await official.client.close();
}

const mimo1k = await measureMimo(1000, dir);
const official1k = await measureOfficial(1000, dir);
const mimo10k = await measureMimo(10_000, dir);
const official10k = await measureOfficial(10_000, dir);
rmSync(dir, { recursive: true, force: true });

const r = (value: number) => Number(value.toFixed(3));
const figures = {
  mimoSpawnToReadyMs: r(median(mimoReady)),
  officialSpawnToReadyMs: r(median(officialReady)),
  mimoStoreP50Ms1k: r(mimo1k.store50),
  mimoStoreP50Ms10k: r(mimo10k.store50),
  officialCreateP50Ms1k: r(official1k.create50),
  officialCreateP50Ms10k: r(official10k.create50),
  mimoSearchP50Ms1k: r(mimo1k.search50),
  mimoSearchP50Ms10k: r(mimo10k.search50),
  officialSearchP50Ms1k: r(official1k.search50),
  officialSearchP50Ms10k: r(official10k.search50),
};
console.log(`mimo vs @modelcontextprotocol/server-memory (Node ${process.version}; official SDK v1 client over stdio; p50s)

| measure | mimo | server-memory | target (mimo) |
|---|---|---|---|
| spawn to ready (initialize done), median of 7 | ${figures.mimoSpawnToReadyMs} ms | ${figures.officialSpawnToReadyMs} ms | ≤ 250 ms |
| store one item, 1k stored | ${figures.mimoStoreP50Ms1k} ms | ${figures.officialCreateP50Ms1k} ms | ≤ 1 ms, flat |
| store one item, 10k stored | ${figures.mimoStoreP50Ms10k} ms | ${figures.officialCreateP50Ms10k} ms | ≤ 1 ms, flat |
| search, 1k stored | ${figures.mimoSearchP50Ms1k} ms | ${figures.officialSearchP50Ms1k} ms | – |
| search, 10k stored | ${figures.mimoSearchP50Ms10k} ms | ${figures.officialSearchP50Ms10k} ms | ≤ 2 ms |`);
console.log(`BENCH_JSON ${JSON.stringify(figures)}`);
