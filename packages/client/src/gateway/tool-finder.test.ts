import type { Tool } from '@mimo-mcp/protocol-parser';
import { describe, expect, it } from 'vitest';
import { type ToolEmbedder, ToolFinder } from './tool-finder.js';

const WORDS = ['file', 'read', 'write', 'weather', 'forecast', 'memory', 'search'];

/** A bag-of-words embedder over a fixed vocabulary: deterministic, and counts how often it was asked. */
function wordEmbedder(): ToolEmbedder & { calls: number } {
  const embedder = {
    id: 'test-words',
    dimensions: WORDS.length,
    calls: 0,
    async embed(texts: readonly string[]) {
      embedder.calls++;
      return texts.map((text) => {
        const lower = text.toLowerCase();
        return Float32Array.from(WORDS, (word) => (lower.includes(word) ? 1 : 0));
      });
    },
  };
  return embedder;
}

const tool = (name: string, description: string): Tool => ({
  name,
  description,
  inputSchema: { type: 'object' },
});
const tools = [
  tool('fs__read_file', 'Read a file from disk'),
  tool('weather__forecast', 'The weather forecast for a city'),
  tool('memory_search', 'Search the memory'),
];

describe('ToolFinder', () => {
  it('should rank tools by cosine similarity to the query, best first, within the limit', async () => {
    const finder = new ToolFinder(wordEmbedder());
    const hits = await finder.find('what is the weather forecast', tools, 2);
    expect(hits.map((hit) => hit.tool.name)).toEqual(['weather__forecast', expect.any(String)]);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits).toHaveLength(2);
  });

  it('should embed the tools again only when their names or descriptions change', async () => {
    const embedder = wordEmbedder();
    const finder = new ToolFinder(embedder);
    await finder.find('read a file', tools, 1);
    await finder.find('search memory', tools, 1);
    expect(embedder.calls).toBe(3); // tools once, then one call per query
    const changed = [...tools, tool('fs__write_file', 'Write a file to disk')];
    expect((await finder.find('write a file', changed, 1))[0]?.tool.name).toBe('fs__write_file');
    expect(embedder.calls).toBe(5);
  });

  it('should find nothing among no tools, and score a query with no known word 0', async () => {
    const finder = new ToolFinder(wordEmbedder());
    expect(await finder.find('anything', [], 5)).toEqual([]);
    const hits = await finder.find('zzz', tools, 5);
    expect(hits.map((hit) => hit.score)).toEqual([0, 0, 0]);
  });
});
