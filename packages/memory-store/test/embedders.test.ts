import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocalEmbedder,
  createOllamaEmbedder,
  createOpenAiEmbedder,
  type MemoryStoreError,
  openMemoryStore,
  parseRetryAfter,
} from '../src/index.js';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
}

describe('local embedder', () => {
  const embedder = createLocalEmbedder();

  it('should be deterministic, 384-dimensional and L2-normalised', async () => {
    const [a, b] = await embedder.embed(['the release train', 'the release train']);
    expect(embedder.id).toBe('local-hash-v1-384');
    expect(a).toHaveLength(384);
    expect([...(a as Float32Array)]).toEqual([...(b as Float32Array)]);
    expect(cosine(a as Float32Array, a as Float32Array)).toBeCloseTo(1, 5);
    const [empty] = await embedder.embed(['the of and']);
    expect([...(empty as Float32Array)].every((x) => x === 0)).toBe(true);
  });

  it('should put shared stems and typos closer than unrelated text', async () => {
    const [base, stems, typo, other] = await embedder.embed([
      'deploying the payments service',
      'payment service deployments',
      'deplyoing the paymnets servcie',
      'coffee machine descaling schedule',
    ]);
    const toStems = cosine(base as Float32Array, stems as Float32Array);
    const toTypo = cosine(base as Float32Array, typo as Float32Array);
    const toOther = cosine(base as Float32Array, other as Float32Array);
    expect(toStems).toBeGreaterThan(0.5);
    // Measured: stems 0.7+, every word misspelled 0.23, unrelated 0.08.
    expect(toTypo).toBeGreaterThan(toOther + 0.1);
    expect(Math.abs(toOther)).toBeLessThan(0.15);
  });

  it('should refuse an unusable size and honour abort', async () => {
    expect(() => createLocalEmbedder({ dimensions: 2 })).toThrow(/\[8, 4096\]/);
    const controller = new AbortController();
    controller.abort();
    await expect(embedder.embed(['x'], { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
  });
});

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => handler(request, body, response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const fakeVector = (text: string, dims: number) =>
  Array.from({ length: dims }, (_, i) => ((text.charCodeAt(i % text.length) + i) % 7) - 3);

describe('Ollama embedder (against a local server speaking /api/embed)', () => {
  it('should embed in batches and learn the dimensions', async () => {
    const requests: unknown[] = [];
    const url = await serve((request, body, response) => {
      expect(request.url).toBe('/api/embed');
      const parsed = JSON.parse(body) as { model: string; input: string[] };
      requests.push(parsed);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ embeddings: parsed.input.map((text) => fakeVector(text, 16)) }));
    });
    const embedder = createOllamaEmbedder({ model: 'nomic-embed-text', baseUrl: url, batchSize: 2 });
    const vectors = await embedder.embed(['a', 'b', 'c']);
    expect(vectors.map((v) => v.length)).toEqual([16, 16, 16]);
    expect(embedder.dimensions).toBe(16);
    expect(embedder.id).toBe('ollama/nomic-embed-text');
    expect(requests).toEqual([
      { model: 'nomic-embed-text', input: ['a', 'b'] },
      { model: 'nomic-embed-text', input: ['c'] },
    ]);
  });

  it('should retry 429 honouring Retry-After, and 5xx, but not 4xx', async () => {
    let calls = 0;
    const times: number[] = [];
    const url = await serve((_request, body, response) => {
      calls++;
      times.push(Date.now());
      if (calls === 1) {
        response.writeHead(429, { 'retry-after': '1' });
        response.end('slow down');
        return;
      }
      if (calls === 2) {
        response.writeHead(503);
        response.end();
        return;
      }
      const parsed = JSON.parse(body) as { input: string[] };
      response.end(JSON.stringify({ embeddings: parsed.input.map((t) => fakeVector(t, 4)) }));
    });
    const embedder = createOllamaEmbedder({ model: 'm', baseUrl: url, maxAttempts: 3 });
    await expect(embedder.embed(['x'])).resolves.toHaveLength(1);
    expect(calls).toBe(3);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(950);

    let badCalls = 0;
    const bad = await serve((_request, _body, response) => {
      badCalls++;
      response.writeHead(400);
      response.end('model not found');
    });
    const failing = createOllamaEmbedder({ model: 'missing', baseUrl: bad });
    const error = (await failing.embed(['x']).catch((e: unknown) => e)) as MemoryStoreError;
    expect(error.code).toBe('EMBEDDING_FAILED');
    expect(error.message).toMatch(/HTTP 400: model not found/);
    expect(badCalls).toBe(1);
  });

  it('should open its circuit breaker after repeated failures and fail fast', async () => {
    let calls = 0;
    const url = await serve((_request, _body, response) => {
      calls++;
      response.writeHead(500);
      response.end();
    });
    const embedder = createOllamaEmbedder({ model: 'm', baseUrl: url, maxAttempts: 1 });
    for (let i = 0; i < 5; i++) await embedder.embed(['x']).catch(() => {});
    expect(embedder.breaker.state).toBe('open');
    const error = (await embedder.embed(['x']).catch((e: unknown) => e)) as MemoryStoreError;
    expect(error.message).toMatch(/Circuit breaker .* is open/);
    expect(calls).toBe(5);
  });

  it('should reject malformed answers and vectors of changing size', async () => {
    let size = 4;
    const url = await serve((_request, body, response) => {
      const parsed = JSON.parse(body) as { input: string[] };
      response.end(JSON.stringify({ embeddings: parsed.input.map((t) => fakeVector(t, size++)) }));
    });
    const embedder = createOllamaEmbedder({ model: 'm', baseUrl: url });
    await embedder.embed(['a']);
    await expect(embedder.embed(['b'])).rejects.toThrow(/5-dimensional vector, expected 4/);
    const broken = await serve((_request, _body, response) => response.end('{"nope":1}'));
    await expect(createOllamaEmbedder({ model: 'm', baseUrl: broken }).embed(['a'])).rejects.toThrow(
      /embeddings is not an array/,
    );
  });
});

describe('OpenAI-compatible embedder (against a local server speaking /v1/embeddings)', () => {
  it('should send the key only in the Authorization header, keep order by index, and never leak the key in errors', async () => {
    const secret = 'sk-test-SECRET-123';
    let seenAuth: string | undefined;
    const url = await serve((request, body, response) => {
      seenAuth = request.headers.authorization;
      const parsed = JSON.parse(body) as { model: string; input: string[]; dimensions?: number };
      if (parsed.input[0] === 'fail') {
        response.writeHead(401);
        response.end('{"error":"bad key"}');
        return;
      }
      const data = parsed.input
        .map((text, index) => ({ index, embedding: fakeVector(text, parsed.dimensions ?? 8) }))
        .reverse();
      response.end(JSON.stringify({ data }));
    });
    const embedder = createOpenAiEmbedder({
      model: 'text-embedding-3-small',
      baseUrl: `${url}/v1`,
      apiKey: secret,
      dimensions: 8,
      requestDimensions: true,
    });
    expect(embedder.id).toBe('openai/text-embedding-3-small@8');
    const [first, second] = await embedder.embed(['first', 'second']);
    expect([...(first as Float32Array)]).toEqual(fakeVector('first', 8));
    expect([...(second as Float32Array)]).toEqual(fakeVector('second', 8));
    expect(seenAuth).toBe(`Bearer ${secret}`);
    const error = (await embedder.embed(['fail']).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/HTTP 401/);
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(secret);
  });

  it('should let the store keep writing while the provider is down, then backfill', async () => {
    let up = false;
    const url = await serve((_request, body, response) => {
      if (!up) {
        response.writeHead(503);
        response.end();
        return;
      }
      const parsed = JSON.parse(body) as { input: string[] };
      response.end(
        JSON.stringify({
          data: parsed.input.map((text, index) => ({ index, embedding: fakeVector(text, 8) })),
        }),
      );
    });
    const store = await openMemoryStore({
      path: ':memory:',
      embedder: createOpenAiEmbedder({ model: 'm', baseUrl: url, dimensions: 8, maxAttempts: 1 }),
      // Backfill by hand here (the background one is tested in backfill.test.ts).
      backfill: { auto: false },
    });
    const { id } = await store.create({ content: 'written while the provider was down' });
    expect((await store.get(id))?.embedding.status).toBe('pending');
    up = true;
    expect(await store.backfill()).toEqual({ embedded: 1, failed: 0 });
    expect((await store.get(id))?.embedding.status).toBe('ready');
    await store.close();
  });
});

describe('parseRetryAfter', () => {
  it('should read seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
