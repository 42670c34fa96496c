import type { Tool } from '@mimo-mcp/protocol-parser';

/**
 * What {@link ToolFinder} needs to turn text into vectors: structurally the `Embedder` of
 * `@mimo-mcp/memory-store`, so a store's embedder (or any model) can be passed without this package
 * depending on the store.
 */
export interface ToolEmbedder {
  /** Identifies the model and its output space. */
  readonly id: string;
  /** Length of every vector it returns. */
  readonly dimensions: number;
  /** One vector per text, in order. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** One hit of {@link ToolFinder.find}: the tool and its cosine similarity to the query (-1 … 1). */
export interface ToolMatch {
  tool: Tool;
  score: number;
}

/** The vector scaled to length 1 (a zero vector stays zero, so it scores 0 against everything). */
function unit(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  return norm > 0 ? vector.map((value) => value / norm) : vector;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/**
 * Semantic search over tool descriptions, so a client can keep a short tool list and look tools up by what
 * it wants to do. The tools' vectors are computed again only when the set of tools (names, descriptions)
 * changes. The search is an exact cosine scan in plain JavaScript: a gateway exposes hundreds of tools, not
 * millions, and this keeps the package free of the native vector addon.
 *
 * @example
 * const finder = new ToolFinder(embedder);
 * const [best] = await finder.find('read a file', gateway.listTools(), 5);
 */
export class ToolFinder {
  readonly #embedder: ToolEmbedder;
  #vectors: Array<{ tool: Tool; vector: Float32Array }> = [];
  #signature: string | undefined;

  constructor(embedder: ToolEmbedder) {
    this.#embedder = embedder;
  }

  /** The `limit` tools closest in meaning to `query`, best first. */
  async find(
    query: string,
    tools: readonly Tool[],
    limit: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<ToolMatch[]> {
    await this.#refresh(tools, options.signal);
    if (this.#vectors.length === 0) return [];
    const [vector] = await this.#embedder.embed([query], options);
    const q = unit(vector as Float32Array);
    return this.#vectors
      .map(({ tool, vector: v }) => ({ tool, score: dot(q, v) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }

  async #refresh(tools: readonly Tool[], signal: AbortSignal | undefined): Promise<void> {
    const signature = tools.map((tool) => `${tool.name}\u0000${tool.description ?? ''}`).join('\u0001');
    if (signature === this.#signature) return;
    const texts = tools.map((tool) =>
      [tool.name.replace(/[_-]+/g, ' '), tool.title, tool.description].filter(Boolean).join('. '),
    );
    const vectors = texts.length > 0 ? await this.#embedder.embed(texts, signal ? { signal } : {}) : [];
    this.#vectors = tools.map((tool, i) => ({ tool, vector: unit(vectors[i] as Float32Array) }));
    this.#signature = signature;
  }
}
