import { describe, expect, it } from 'vitest';
import { openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

describe('searching every namespace (issue #11: a graph imported from one directory was invisible from another)', () => {
  it('should search memories of every namespace with namespace "*", merged by score', async () => {
    const store = await openMemoryStore({ path: tempDb(), namespace: 'project:home' });
    await store.create({
      content: 'The payments service deploys on Thursdays',
      namespace: 'project:newcomer',
    });
    await store.create({ content: 'Payments deploys need a change ticket' });
    await store.create({ content: 'Lunch is at noon', namespace: 'project:other' });
    expect(
      (await store.search({ query: 'payments deploys' })).hits.map((hit) => hit.memory.namespace),
    ).toEqual(['project:home']);
    const everywhere = await store.search({ query: 'payments deploys', namespace: '*', mode: 'keyword' });
    expect(everywhere.namespace).toBe('*');
    expect(everywhere.hits.map((hit) => hit.memory.namespace).sort()).toEqual([
      'project:home',
      'project:newcomer',
    ]);
    const scores = everywhere.hits.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect((await store.search({ query: 'payments', namespace: '*', maxResults: 1 })).hits).toHaveLength(1);
    await expect(store.create({ content: 'x', namespace: '*' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await store.close();
  });

  it('should search the graph of every namespace with namespace "*", naming each entity’s namespace', async () => {
    const store = await openMemoryStore({ path: tempDb(), namespace: 'project:home' });
    await store.graph.createEntities(
      [{ name: 'mimo', entityType: 'project', observations: ['written in TypeScript'] }],
      {
        namespace: 'project:newcomer',
      },
    );
    await store.graph.createEntities([
      { name: 'sqlite', entityType: 'database', observations: ['stores memories'] },
    ]);
    expect((await store.graph.searchNodes('typescript project')).entities).toEqual([]);
    const found = await store.graph.searchNodes('typescript project', { namespace: '*' });
    expect(found.entities.map((entity) => [entity.namespace, entity.name])).toEqual([
      ['project:newcomer', 'mimo'],
    ]);
    await store.close();
  });
});
