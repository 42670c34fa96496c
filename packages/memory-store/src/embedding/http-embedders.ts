import {
  type CircuitBreakerPolicy,
  circuitBreaker,
  consecutiveBreaker,
  type Policy,
  ResilienceError,
  retry,
  timeout,
  wrap,
} from '@mimo-mcp/resilience';
import { MemoryStoreError } from '../errors.js';
import type { Embedder } from './embedder.js';

export interface HttpEmbedderOptions {
  /** Model name as the provider knows it. */
  model: string;
  /** Vector length. If omitted, learned from the first response (then fixed). */
  dimensions?: number;
  /** Per-request timeout. @default 30_000 */
  timeoutMs?: number;
  /** Attempts per request, the first included; 429 and 5xx and network errors are retried. @default 3 */
  maxAttempts?: number;
  /** Texts per request. @default 64 */
  batchSize?: number;
  /** The fetch to use (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface OllamaEmbedderOptions extends HttpEmbedderOptions {
  /** @default 'http://127.0.0.1:11434' */
  baseUrl?: string;
}

export interface OpenAiEmbedderOptions extends HttpEmbedderOptions {
  /** @default 'https://api.openai.com' (any OpenAI-compatible server; `/v1/embeddings` is appended) */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never logged or put in errors. */
  apiKey?: string;
  /** Ask the model for shorter vectors (OpenAI `dimensions` parameter). */
  requestDimensions?: boolean;
}

/** An HTTP failure carrying what the retry policy needs. */
class HttpStatusError extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, retryAfterMs: number | undefined) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Parses `Retry-After` (seconds, or an HTTP date) into milliseconds. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isTransient(error: unknown): boolean {
  if (error instanceof HttpStatusError) return error.status === 429 || error.status >= 500;
  if (ResilienceError.isInstance(error)) return error.code === 'TIMEOUT';
  // fetch rejects with TypeError on network failures (connection refused, reset, DNS).
  return error instanceof TypeError;
}

interface ProviderSpec {
  id: string;
  url: string;
  headers: Record<string, string>;
  body(texts: readonly string[]): unknown;
  parse(json: unknown, count: number): number[][];
}

/** A remote embedder: batching, and every request through timeout → retry → circuit breaker. */
function createHttpEmbedder(
  spec: ProviderSpec,
  options: HttpEmbedderOptions,
): Embedder & { breaker: CircuitBreakerPolicy } {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const batchSize = options.batchSize ?? 64;
  let dimensions = options.dimensions ?? 0;
  const breaker = circuitBreaker({
    name: spec.id,
    breaker: consecutiveBreaker(5),
    halfOpenAfterMs: 30_000,
    shouldCount: isTransient,
  });
  const policy: Policy = wrap(
    retry({
      maxAttempts: options.maxAttempts ?? 3,
      initialDelayMs: 250,
      maxDelayMs: 10_000,
      shouldRetry: isTransient,
    }),
    breaker,
    timeout(options.timeoutMs ?? 30_000),
  );

  const request = async (texts: readonly string[], signal?: AbortSignal): Promise<number[][]> =>
    policy.execute(async ({ signal: attemptSignal }) => {
      const response = await fetchImpl(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...spec.headers },
        body: JSON.stringify(spec.body(texts)),
        signal: attemptSignal,
      });
      if (!response.ok) {
        const detail = (await response.text().catch(() => '')).slice(0, 300);
        throw new HttpStatusError(
          response.status,
          `${spec.id} answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
          parseRetryAfter(response.headers.get('retry-after')),
        );
      }
      return spec.parse(await response.json(), texts.length);
    }, signal);

  const embedder: Embedder & { breaker: CircuitBreakerPolicy } = {
    id: spec.id,
    get dimensions() {
      return dimensions;
    },
    persistentCache: true,
    breaker,
    async embed(texts, embedOptions) {
      // The retry policy waits between attempts on unref'd timers, so while it waits nothing else may hold
      // the event loop: a command awaiting an embedding from a server that refuses connections exited
      // mid-wait, silently, with status 0 (`mimo doctor` printed nothing). A call in flight holds it.
      const keepAlive = setInterval(() => {}, 1 << 30);
      try {
        return await embedAll(texts, embedOptions?.signal);
      } finally {
        clearInterval(keepAlive);
      }
    },
  };

  async function embedAll(
    texts: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      const batch = texts.slice(start, start + batchSize);
      let vectors: number[][];
      try {
        vectors = await request(batch, signal);
      } catch (error) {
        if (MemoryStoreError.isInstance(error)) throw error;
        throw new MemoryStoreError(
          'EMBEDDING_FAILED',
          `Embedding with ${spec.id} failed: ${describeFailure(error)}`,
          {
            cause: error,
          },
        );
      }
      for (const values of vectors) {
        if (dimensions === 0) dimensions = values.length;
        if (values.length !== dimensions) {
          throw new MemoryStoreError(
            'EMBEDDING_FAILED',
            `${spec.id} returned a ${values.length}-dimensional vector, expected ${dimensions}`,
          );
        }
        out.push(Float32Array.from(values));
      }
    }
    return out;
  }
  return embedder;
}

/** An error's message with its cause's (fetch says only "fetch failed"; the cause says ECONNREFUSED …). */
function describeFailure(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
  return typeof cause === 'string' && cause.length > 0 && !message.includes(cause)
    ? `${message} (${cause})`
    : message;
}

function expectArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value))
    throw new MemoryStoreError('EMBEDDING_FAILED', `Unexpected response: ${what} is not an array`);
  return value;
}

function numbers(value: unknown, what: string): number[] {
  const array = expectArray(value, what);
  if (!array.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new MemoryStoreError('EMBEDDING_FAILED', `Unexpected response: ${what} holds non-numbers`);
  }
  return array as number[];
}

/**
 * Embeds with Ollama's `/api/embed` (`{ model, input: [...] }` → `{ embeddings: [[...]] }`), wrapped in a
 * timeout, retries on 429/5xx honouring `Retry-After`, and a circuit breaker.
 *
 * @example
 * const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', baseUrl: 'http://127.0.0.1:11434' });
 */
export function createOllamaEmbedder(
  options: OllamaEmbedderOptions,
): Embedder & { breaker: CircuitBreakerPolicy } {
  if (!options?.model)
    throw new MemoryStoreError('INVALID_ARGUMENT', 'createOllamaEmbedder: model is required');
  const base = (options.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
  return createHttpEmbedder(
    {
      id: `ollama/${options.model}`,
      url: `${base}/api/embed`,
      headers: {},
      body: (texts) => ({ model: options.model, input: texts }),
      parse: (json, count) => {
        const embeddings = expectArray((json as { embeddings?: unknown })?.embeddings, 'embeddings');
        if (embeddings.length !== count) {
          throw new MemoryStoreError(
            'EMBEDDING_FAILED',
            `Ollama returned ${embeddings.length} vectors for ${count} texts`,
          );
        }
        return embeddings.map((vector, i) => numbers(vector, `embeddings[${i}]`));
      },
    },
    options,
  );
}

/**
 * Embeds with an OpenAI-compatible `/v1/embeddings` endpoint (`{ model, input }` → `{ data: [{ embedding,
 * index }] }`), wrapped like {@link createOllamaEmbedder}. The API key is only ever sent in the header.
 *
 * @example
 * const embedder = createOpenAiEmbedder({ model: 'text-embedding-3-small', apiKey: process.env.OPENAI_API_KEY });
 */
export function createOpenAiEmbedder(
  options: OpenAiEmbedderOptions,
): Embedder & { breaker: CircuitBreakerPolicy } {
  if (!options?.model)
    throw new MemoryStoreError('INVALID_ARGUMENT', 'createOpenAiEmbedder: model is required');
  const base = (options.baseUrl ?? 'https://api.openai.com').replace(/\/+$/, '').replace(/\/v1$/, '');
  const sized = options.requestDimensions && options.dimensions !== undefined;
  return createHttpEmbedder(
    {
      id: `openai/${options.model}${sized ? `@${options.dimensions}` : ''}`,
      url: `${base}/v1/embeddings`,
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      body: (texts) => ({
        model: options.model,
        input: texts,
        ...(sized ? { dimensions: options.dimensions } : {}),
      }),
      parse: (json, count) => {
        const data = expectArray((json as { data?: unknown })?.data, 'data');
        if (data.length !== count) {
          throw new MemoryStoreError(
            'EMBEDDING_FAILED',
            `The embeddings API returned ${data.length} vectors for ${count} texts`,
          );
        }
        const ordered = [...data].sort(
          (a, b) =>
            Number((a as { index?: number }).index ?? 0) - Number((b as { index?: number }).index ?? 0),
        );
        return ordered.map((item, i) =>
          numbers((item as { embedding?: unknown })?.embedding, `data[${i}].embedding`),
        );
      },
    },
    options,
  );
}
