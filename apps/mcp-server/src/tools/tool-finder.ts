import type { MemoryStore } from '@mimo-mcp/memory-store';
import type { Tool } from '@mimo-mcp/protocol-parser';
import { VectorIndex } from '@mimo-mcp/vector-nif';

/**
 * Semantic search over tool descriptions with the store's embedder (the local one needs no download), so a
 * client can keep a short tool list and look tools up by what it wants to do. The index is rebuilt when the
 * set of tools changes.
 */
export class ToolFinder {
  readonly #store: MemoryStore;
  #index: VectorIndex | undefined;
  #tools = new Map<string, Tool>();
  #signature = '';

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  async find(
    query: string,
    tools: readonly Tool[],
    limit: number,
  ): Promise<Array<{ tool: Tool; score: number }>> {
    await this.#refresh(tools);
    if (!this.#index || this.#index.size === 0) return [];
    const [vector] = await this.#store.embedTexts([query]);
    return this.#index
      .search(vector as Float32Array, { k: Math.min(limit, this.#index.size) })
      .flatMap((hit) => {
        const tool = this.#tools.get(hit.id);
        return tool ? [{ tool, score: hit.score }] : [];
      });
  }

  async #refresh(tools: readonly Tool[]): Promise<void> {
    const signature = tools.map((tool) => `${tool.name}\u0000${tool.description ?? ''}`).join('\u0001');
    if (signature === this.#signature && this.#index) return;
    const texts = tools.map((tool) =>
      [tool.name.replace(/[_-]+/g, ' '), tool.title, tool.description].filter(Boolean).join('. '),
    );
    const vectors = texts.length > 0 ? await this.#store.embedTexts(texts) : [];
    const index = new VectorIndex({ dimensions: this.#store.embedder.dimensions });
    tools.forEach((tool, i) => {
      index.set(tool.name, vectors[i] as Float32Array);
    });
    this.#index = index;
    this.#tools = new Map(tools.map((tool) => [tool.name, tool]));
    this.#signature = signature;
  }
}
