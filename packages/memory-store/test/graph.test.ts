import { describe, expect, it } from 'vitest';
import { createLocalEmbedder, type Embedder, type MemoryStoreError, openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

async function graph() {
  const store = await openMemoryStore({ path: ':memory:' });
  return { store, graph: store.graph };
}

describe('knowledge graph (official server-memory operations)', () => {
  it('should create entities, skipping existing names, and add observations without duplicates', async () => {
    const { store, graph: g } = await graph();
    const created = await g.createEntities([
      { name: 'Alice', entityType: 'person', observations: ['leads payments', 'leads payments'] },
      { name: 'Payments', entityType: 'service' },
    ]);
    expect(created.map((e) => [e.name, e.observations])).toEqual([
      ['Alice', ['leads payments']],
      ['Payments', []],
    ]);
    expect(await g.createEntities([{ name: 'Alice', entityType: 'robot', observations: [] }])).toEqual([]);
    expect(
      await g.addObservations([{ entityName: 'Alice', contents: ['leads payments', 'likes Rust'] }]),
    ).toEqual([{ entityName: 'Alice', addedObservations: ['likes Rust'] }]);
    const error = await g
      .addObservations([{ entityName: 'Nobody', contents: ['x'] }])
      .catch((e: unknown) => e);
    expect((error as MemoryStoreError).code).toBe('NOT_FOUND');
    expect((error as Error).message).toBe('Entity with name "Nobody" not found');
    await g.deleteObservations([
      { entityName: 'Alice', observations: ['leads payments'] },
      { entityName: 'Ghost', observations: ['x'] },
    ]);
    expect((await g.openNodes(['Alice'])).entities[0]?.observations).toEqual(['likes Rust']);
    await store.close();
  });

  it('should create relations in the official shape, skip duplicates, require both ends, and cascade deletes', async () => {
    const { store, graph: g } = await graph();
    await g.createEntities(['A', 'B', 'C'].map((name) => ({ name, entityType: 'node' })));
    const first = await g.createRelations([{ from: 'A', to: 'B', relationType: 'links' }]);
    expect(first.map((r) => [r.subject, r.predicate, r.object])).toEqual([['A', 'links', 'B']]);
    expect(await g.createRelations([{ from: 'A', to: 'B', relationType: 'links' }])).toEqual([]);
    const missing = await g
      .createRelations([{ from: 'A', to: 'Zed', relationType: 'links' }])
      .catch((e: unknown) => e);
    expect((missing as MemoryStoreError).code).toBe('NOT_FOUND');
    expect((missing as Error).message).toMatch(/"Zed"/);
    await g.createRelations([{ from: 'B', to: 'C', relationType: 'links' }]);
    const opened = await g.openNodes(['A', 'B']);
    expect(opened.relations.map((r) => `${r.subject}-${r.object}`)).toEqual(['A-B']);
    expect(await g.deleteEntities(['B'])).toEqual(['B']);
    expect((await g.readGraph()).relations).toEqual([]);
    expect(await g.deleteRelations([{ from: 'A', to: 'B', relationType: 'links' }])).toBe(0);
    await store.close();
  });

  it('should read the graph in pages', async () => {
    const { store, graph: g } = await graph();
    await g.createEntities(
      Array.from({ length: 25 }, (_, i) => ({ name: `n${String(i).padStart(2, '0')}`, entityType: 't' })),
    );
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await g.readGraph({ limit: 10, ...(cursor ? { cursor } : {}) });
      names.push(...page.entities.map((e) => e.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toHaveLength(25);
    expect(names[0]).toBe('n00');
    await store.close();
  });

  it("should embed node searches with the store's active embedder and its cache, also after reembed()", async () => {
    const counting = (dimensions: number) => {
      const inner = createLocalEmbedder({ dimensions });
      const embedder = {
        id: inner.id,
        dimensions,
        texts: 0,
        embed(texts: readonly string[], options?: { signal?: AbortSignal }) {
          embedder.texts += texts.length;
          return inner.embed(texts, options);
        },
      } satisfies Embedder & { texts: number };
      return embedder;
    };
    const first = counting(64);
    const store = await openMemoryStore({ path: ':memory:', embedder: first });
    await store.graph.createEntities([
      { name: 'payments', entityType: 'service', observations: ['Go 1.23'] },
    ]);
    const names = async () => (await store.graph.searchNodes('payments service')).entities.map((e) => e.name);
    expect(await names()).toEqual(['payments']);
    const embedded = first.texts;
    expect(embedded).toBeGreaterThan(0);
    expect(await names()).toEqual(['payments']);
    expect(first.texts).toBe(embedded); // the entity index and the query vector came from the caches
    const second = counting(32);
    await store.reembed(second);
    expect(await names()).toEqual(['payments']);
    expect(second.texts).toBeGreaterThan(0);
    expect(first.texts).toBe(embedded);
    await store.close();
  });

  it('should find nodes by meaning and by keyword, not just substrings', async () => {
    const { store, graph: g } = await graph();
    await g.createEntities([
      { name: 'Chen Wei', entityType: 'person', observations: ['owns the search relevance roadmap'] },
      { name: 'Greg Holm', entityType: 'person', observations: ['handles vendor contracts'] },
      { name: 'Search', entityType: 'service', observations: ['hybrid retrieval engine'] },
    ]);
    await g.createRelations([{ from: 'Chen Wei', to: 'Search', relationType: 'owns' }]);
    const found = await g.searchNodes('who is responsible for ranking and relevance');
    expect(found.entities[0]?.name).toBe('Chen Wei');
    const typo = await g.searchNodes('vendr contrcts');
    expect(typo.entities[0]?.name).toBe('Greg Holm');
    const both = await g.searchNodes('search');
    expect(both.entities.map((e) => e.name)).toContain('Search');
    expect(both.relations.map((r) => r.predicate)).toEqual(['owns']);
    await store.close();
  });
});

describe('knowledge graph (time and traversal)', () => {
  it('should supersede a single-valued predicate, keeping history queryable as of a time', async () => {
    const { store, graph: g } = await graph();
    await g.createEntities(['Bob', 'Alice', 'Dana'].map((name) => ({ name, entityType: 'person' })));
    await g.declarePredicate('reports_to', { singleValued: true });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const t1 = Date.parse('2026-06-01T00:00:00Z');
    await g.createRelations([{ subject: 'Bob', predicate: 'reports_to', object: 'Alice', validFrom: t0 }]);
    await g.createRelations([{ subject: 'Bob', predicate: 'reports_to', object: 'Dana', validFrom: t1 }]);
    const now = await g.neighbors('Bob', { depth: 1, direction: 'out' });
    expect(now.entities.map((e) => e.name)).toEqual(['Dana']);
    const before = await g.neighbors('Bob', { depth: 1, direction: 'out', asOf: '2026-03-01T00:00:00Z' });
    expect(before.entities.map((e) => e.name)).toEqual(['Alice']);
    expect(before.relations[0]).toMatchObject({ object: 'Alice', validTo: new Date(t1).toISOString() });
    await store.close();
  });

  it('should traverse n hops with shortest distances and find a shortest path, in both directions', async () => {
    const { store, graph: g } = await graph();
    await g.createEntities(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, entityType: 'n' })));
    await g.createRelations([
      { from: 'a', to: 'b', relationType: 'r' },
      { from: 'b', to: 'c', relationType: 'r' },
      { from: 'c', to: 'd', relationType: 'r' },
      { from: 'a', to: 'd', relationType: 'shortcut' },
      { from: 'e', to: 'a', relationType: 'r' },
    ]);
    const out2 = await g.neighbors('a', { depth: 2, direction: 'out' });
    expect(out2.entities.map((e) => [e.name, e.depth])).toEqual([
      ['b', 1],
      ['d', 1],
      ['c', 2],
    ]);
    const onlyR = await g.neighbors('a', { depth: 3, direction: 'out', predicates: ['r'] });
    expect(onlyR.entities.map((e) => [e.name, e.depth])).toEqual([
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
    expect((await g.neighbors('a', { depth: 1, direction: 'in' })).entities.map((e) => e.name)).toEqual([
      'e',
    ]);
    expect((await g.shortestPath('a', 'd')).path).toEqual(['a', 'd']);
    const longPath = await g.shortestPath('e', 'c', { direction: 'out' });
    expect(longPath.path).toEqual(['e', 'a', 'b', 'c']);
    expect(longPath.relations).toHaveLength(3);
    expect((await g.shortestPath('d', 'a', { direction: 'out' })).path).toBeNull();
    expect((await g.shortestPath('d', 'a', { direction: 'both' })).path).toEqual(['d', 'a']);
    await store.close();
  });

  it('should detect cycles by exact name, so "bob" is not mistaken for a visited "bobby" (regression: the Elixir instr() check)', async () => {
    const { store, graph: g } = await graph();
    await g.createEntities(['bobby', 'bob', 'x'].map((name) => ({ name, entityType: 'n' })));
    await g.createRelations([
      { from: 'bobby', to: 'x', relationType: 'r' },
      { from: 'x', to: 'bob', relationType: 'r' },
      { from: 'bob', to: 'bobby', relationType: 'r' },
    ]);
    expect((await g.shortestPath('bobby', 'bob', { direction: 'out' })).path).toEqual(['bobby', 'x', 'bob']);
    const around = await g.neighbors('bobby', { depth: 6, direction: 'out' });
    expect(around.entities.map((e) => [e.name, e.depth])).toEqual([
      ['x', 1],
      ['bob', 2],
    ]);
    await store.close();
  });

  it('should stay fast on a dense cyclic graph thanks to the depth cap and BFS layering', async () => {
    const { store, graph: g } = await graph();
    const names = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await g.createEntities(names.map((name) => ({ name, entityType: 'n' })));
    const relations = names.flatMap((from, i) =>
      names
        .filter((_, j) => j !== i && (j - i + 40) % 40 <= 6)
        .map((to) => ({ from, to, relationType: 'r' })),
    );
    await g.createRelations(relations);
    const around = await g.neighbors('v0', { depth: 6 });
    const path = await g.shortestPath('v0', 'v20', { maxDepth: 6 });
    expect(around.entities).toHaveLength(39);
    expect(path.path?.length).toBeGreaterThan(1);
    await store.close();
  });

  it('should refuse unknown entities in traversal with NOT_FOUND', async () => {
    const { store, graph: g } = await graph();
    await expect(g.neighbors('ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(g.shortestPath('ghost', 'ghost2')).rejects.toThrow(/"ghost", "ghost2"/);
    await expect(g.shortestPath('a', 'b', { maxDepth: 9 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(g.neighbors('a', { depth: 7 })).rejects.toThrow(/depth/);
    await store.close();
  });

  it('should leave out entities, relations and observations added after asOf (issue #11: graph_traverse showed the future)', async () => {
    const store = await openMemoryStore({ path: tempDb() });
    const g = store.graph;
    await g.createEntities([
      { name: 'alice', entityType: 'person', observations: ['joined in spring'] },
      { name: 'payments', entityType: 'service', observations: [] },
    ]);
    await g.createRelations([{ from: 'alice', to: 'payments', relationType: 'owns' }]);
    const noted = await tick();
    await g.createEntities([
      { name: 'ledger', entityType: 'service', observations: ['added later'] },
      { name: 'bob', entityType: 'person', observations: [] },
    ]);
    await g.createRelations([
      { from: 'payments', to: 'ledger', relationType: 'calls' },
      { from: 'alice', to: 'bob', relationType: 'manages' },
    ]);
    await g.addObservations([{ entityName: 'alice', contents: ['moved to Lisbon'] }]);
    const asOf = new Date(noted).toISOString();

    const then = await g.neighbors('alice', { depth: 3, asOf });
    expect(then.center.observations).toEqual(['joined in spring']);
    expect(then.entities.map((e) => e.name)).toEqual(['payments']);
    expect(then.relations.map((r) => `${r.subject} ${r.predicate} ${r.object}`)).toEqual([
      'alice owns payments',
    ]);
    const now = await g.neighbors('alice', { depth: 3 });
    expect(now.center.observations).toEqual(['joined in spring', 'moved to Lisbon']);
    expect(now.entities.map((e) => e.name).sort()).toEqual(['bob', 'ledger', 'payments']);

    await expect(g.neighbors('ledger', { asOf })).rejects.toThrow(
      `Entity with name "ledger" did not exist at ${asOf}`,
    );
    await expect(g.shortestPath('alice', 'bob', { asOf })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await g.shortestPath('alice', 'payments', { asOf })).path).toEqual(['alice', 'payments']);
    const page = await g.readGraph({ asOf });
    expect(page.entities.map((e) => [e.name, e.observations])).toEqual([
      ['alice', ['joined in spring']],
      ['payments', []],
    ]);
    expect(page.relations).toHaveLength(1);
    expect((await g.readGraph()).entities).toHaveLength(4);
    await store.close();
  });
});

/** Waits until the clock has moved past the current millisecond, and returns that millisecond. */
async function tick(): Promise<number> {
  const noted = Date.now();
  while (Date.now() <= noted) await new Promise((resolve) => setTimeout(resolve, 1));
  return noted;
}
