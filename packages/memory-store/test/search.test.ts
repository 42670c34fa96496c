import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  FilterSchema,
  MemoryStoreError,
  NamespaceSchema,
  openMemoryStore,
  SearchSchema,
} from '../src/index.js';
import { RRF_K } from '../src/search/fusion.js';
import { createSqliteDriver } from '../src/sqlite.js';
import { tempDb } from './helpers/temp.js';

const MEMORIES = [
  'The release train leaves every Thursday at 14:00 UTC',
  'Deploys to production need a second reviewer on the release',
  'Kafka topic orders.v2 has 12 partitions',
  'The payments service talks to Postgres through pgbouncer',
];

async function storeWithNamespaces(path = tempDb()) {
  const store = await openMemoryStore({ driver: createSqliteDriver({ path }), path });
  for (const namespace of ['alpha', 'beta', 'gamma']) {
    await store.createMany(MEMORIES.map((content) => ({ content, namespace, tags: ['ops'] })));
  }
  return store;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('search (issue #12)', () => {
  it('should reject with ABORTED when its signal is aborted (search took no signal)', async () => {
    const store = await storeWithNamespaces();
    const controller = new AbortController();
    controller.abort(new Error('the client went away'));
    const error = await store
      .search({ query: 'release train', namespace: 'alpha', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(MemoryStoreError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ABORTED', cause: controller.signal.reason });
    await store.close();
  });

  it('should validate its input once (the filter and namespace were parsed again for every namespace)', async () => {
    const store = await storeWithNamespaces();
    const search = vi.spyOn(SearchSchema, 'safeParse');
    const filter = vi.spyOn(FilterSchema, 'safeParse');
    const namespace = vi.spyOn(NamespaceSchema, 'safeParse');
    const all = await store.search({ query: 'release', namespace: '*', tagsAny: ['OPS'] });
    expect(new Set(all.hits.map((hit) => hit.memory.namespace))).toEqual(new Set(['alpha', 'beta', 'gamma']));
    const one = await store.search({ query: 'release', namespace: 'beta', kinds: ['note'] });
    expect(one.hits.length).toBeGreaterThan(0);
    expect(search).toHaveBeenCalledTimes(2);
    expect(filter).not.toHaveBeenCalled();
    expect(namespace).not.toHaveBeenCalled();
    await store.close();
  });

  it('should read data_version once per search (the keyword search read it again for every term)', async () => {
    // A real SQLite driver, its statements watched: every `PRAGMA data_version` it runs is counted.
    const probe = new Database(':memory:');
    const statementPrototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Database.Statement;
    probe.close();
    const store = await storeWithNamespaces();
    const get = vi.spyOn(statementPrototype, 'get');
    const dataVersionReads = () =>
      get.mock.contexts.filter(
        (statement) => (statement as Database.Statement).source === 'PRAGMA data_version',
      ).length;
    for (const [query, namespace] of [
      ['release train thursday reviewer', 'alpha'],
      ['kafka partitions postgres', '*'],
      ['payments pgbouncer', 'gamma'],
    ] as const) {
      const before = dataVersionReads();
      const result = await store.search({ query, namespace });
      expect(result.hits.length).toBeGreaterThan(0);
      expect(dataVersionReads() - before).toBe(1);
    }
    await store.close();
  });

  it('should report the ranks the fusion computed: rrf is the sum of 1 / (k + rank) over the parts', async () => {
    const store = await storeWithNamespaces();
    const { hits } = await store.search({ query: 'release train reviewer', namespace: 'alpha' });
    expect(hits.length).toBeGreaterThan(1);
    for (const { parts } of hits) {
      const ranks = [parts.keyword?.rank, parts.vector?.rank].filter((rank) => rank !== undefined);
      expect(ranks.length).toBeGreaterThan(0);
      expect(parts.rrf).toBeCloseTo(
        ranks.reduce((sum, rank) => sum + 1 / (RRF_K + rank), 0),
        12,
      );
    }
    await store.close();
  });
});
