import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { JsonRpcError, MimoErrorCode, ProtocolError } from '../errors.js';
import type { JsonRpcMessage } from '../jsonrpc/messages.js';
import { JsonRpcEndpoint, type JsonRpcEndpointOptions } from './endpoint.js';
import { createInMemoryTransportPair, createStreamTransport, type Transport } from './transport.js';

/** A raw peer: sends arbitrary values to an endpoint and records everything the endpoint sends back. */
async function rawPeer(options: JsonRpcEndpointOptions = {}) {
  const endpoint = new JsonRpcEndpoint(options);
  const [mine, theirs] = createInMemoryTransportPair();
  const received: unknown[] = [];
  let waiters: Array<() => void> = [];
  theirs.onmessage = (value) => {
    received.push(value);
    for (const wake of waiters) wake();
    waiters = [];
  };
  await theirs.start();
  await endpoint.connect(mine);
  const send = (value: unknown) => theirs.send(value as JsonRpcMessage);
  /** Waits until at least `count` messages arrived (or fails after 2 s). */
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 2_000;
    while (received.length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} messages, got ${JSON.stringify(received)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
    return received;
  };
  /** Lets queued microtasks and timers run, to show that nothing else arrives. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
  return { endpoint, send, received, waitFor, settle, theirs };
}

/** Two endpoints talking to each other. */
async function pair(aOptions: JsonRpcEndpointOptions = {}, bOptions: JsonRpcEndpointOptions = {}) {
  const [x, y] = createInMemoryTransportPair();
  const a = new JsonRpcEndpoint(aOptions);
  const b = new JsonRpcEndpoint(bOptions);
  await a.connect(x);
  await b.connect(y);
  return { a, b };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JsonRpcEndpoint as a server', () => {
  it('should answer a request through its handler', async () => {
    const peer = await rawPeer();
    peer.endpoint.setRequestHandler('echo', (params) => ({ echoed: params }));
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'echo', params: { a: 1 } });
    expect(await peer.waitFor(1)).toEqual([{ jsonrpc: '2.0', id: 1, result: { echoed: { a: 1 } } }]);
  });

  it('should answer an unknown method with -32601 naming it', async () => {
    const peer = await rawPeer();
    await peer.send({ jsonrpc: '2.0', id: 'a', method: 'nope' });
    expect(await peer.waitFor(1)).toEqual([
      { jsonrpc: '2.0', id: 'a', error: { code: -32601, message: 'Method not found: nope' } },
    ]);
  });

  it('should answer params failing the schema with -32602 naming the field', async () => {
    const peer = await rawPeer();
    peer.endpoint.setRequestHandler('add', (p) => (p as { a: number }).a, z.object({ a: z.number() }));
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'add', params: { a: 'x' } });
    await peer.send({ jsonrpc: '2.0', id: 2, method: 'add', params: [1] });
    const [first, second] = (await peer.waitFor(2)) as Array<{
      id: number;
      error: { code: number; message: string };
    }>;
    const byId = new Map([first, second].map((r) => [r?.id, r]));
    expect(byId.get(1)?.error.code).toBe(-32602);
    expect(byId.get(1)?.error.message).toMatch(/a: .*number/i);
    expect(byId.get(2)?.error.code).toBe(-32602);
  });

  it('should send a thrown JsonRpcError as is and turn other errors into -32603', async () => {
    const peer = await rawPeer();
    const handlerErrors: unknown[] = [];
    peer.endpoint.on('handler-error', ({ error }) => handlerErrors.push(error));
    peer.endpoint.setRequestHandler('wire', () => {
      throw new JsonRpcError(-32602, 'Unknown tool: x', { name: 'x' });
    });
    peer.endpoint.setRequestHandler('bug', async () => {
      throw new Error('database is on fire');
    });
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'wire' });
    await peer.send({ jsonrpc: '2.0', id: 2, method: 'bug' });
    const replies = (await peer.waitFor(2)) as Array<{ id: number; error: unknown }>;
    expect(replies.find((r) => r.id === 1)?.error).toEqual({
      code: -32602,
      message: 'Unknown tool: x',
      data: { name: 'x' },
    });
    expect(replies.find((r) => r.id === 2)?.error).toEqual({
      code: -32603,
      message: 'Internal error: database is on fire',
    });
    expect(handlerErrors).toHaveLength(1);
  });

  it('should hide internal error messages when exposeInternalErrors is false', async () => {
    const peer = await rawPeer({ exposeInternalErrors: false });
    peer.endpoint.setRequestHandler('bug', () => {
      throw new Error('secret path /etc/x');
    });
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'bug' });
    expect(await peer.waitFor(1)).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Internal error' } },
    ]);
  });

  it('should never reply to a notification, known or unknown, even when its handler throws', async () => {
    const peer = await rawPeer();
    const seen: unknown[] = [];
    peer.endpoint.setNotificationHandler('note', (params) => {
      seen.push(params);
      throw new Error('ignored');
    });
    await peer.send({ jsonrpc: '2.0', method: 'note', params: { x: 1 } });
    await peer.send({ jsonrpc: '2.0', method: 'unknown/notification' });
    await peer.settle();
    expect(peer.received).toEqual([]);
    expect(seen).toEqual([{ x: 1 }]);
  });

  it('should answer invalid messages with -32600, keeping a readable id, and stay usable', async () => {
    const peer = await rawPeer();
    peer.endpoint.setRequestHandler('ping', () => ({}));
    await peer.send({ jsonrpc: '2.0', id: 5, method: 'x', params: 'bad' });
    await peer.send({ jsonrpc: '1.0', method: 'x' });
    await peer.send('just a string');
    await peer.send({ jsonrpc: '2.0', id: 6, method: 'ping' });
    const replies = (await peer.waitFor(4)) as Array<{
      id: unknown;
      error?: { code: number };
      result?: unknown;
    }>;
    expect(replies.filter((r) => r.error?.code === -32600).map((r) => r.id)).toEqual([5, null, null]);
    expect(replies.find((r) => r.id === 6)?.result).toEqual({});
  });

  it('should not answer a malformed error response (no error ping-pong)', async () => {
    const peer = await rawPeer();
    await peer.send({ jsonrpc: '2.0', id: 1, error: 'not an object' });
    await peer.settle();
    expect(peer.received).toEqual([]);
  });

  it('should not answer garbage lines or non-JSON-RPC values when answerMalformed is false (chatty-skill loop)', async () => {
    const incoming = new PassThrough();
    const outgoing = new PassThrough();
    const written: string[] = [];
    outgoing.on('data', (chunk: Buffer) => written.push(chunk.toString('utf8')));
    const endpoint = new JsonRpcEndpoint({ answerMalformed: false });
    endpoint.setRequestHandler('echo', (params) => params);
    const frames: string[] = [];
    const invalid: string[] = [];
    endpoint.on('frame-invalid', ({ error }) => frames.push(error.code));
    endpoint.on('message-invalid', ({ reason }) => invalid.push(reason));
    await endpoint.connect(createStreamTransport({ readable: incoming, writable: outgoing }));
    incoming.write('starting server on port 3000...\n');
    incoming.write('{"level":"info","msg":"hello"}\n');
    incoming.write('{"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":1}}\n');
    await vi.waitFor(() => expect(written.join('')).toContain('"id":7'));
    expect(
      written
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([{ jsonrpc: '2.0', id: 7, result: { a: 1 } }]);
    expect(frames).toEqual(['INVALID_JSON']);
    expect(invalid).toHaveLength(1);
    await endpoint.close();
  });

  it('should reject a batch when batches are not allowed, with one -32600 and id null', async () => {
    const peer = await rawPeer();
    peer.endpoint.setRequestHandler('ping', () => ({}));
    await peer.send([{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    const [reply] = (await peer.waitFor(1)) as Array<{
      id: unknown;
      error: { code: number; message: string };
    }>;
    expect(reply?.id).toBeNull();
    expect(reply?.error.code).toBe(-32600);
    expect(reply?.error.message).toMatch(/batches are not supported/);
  });

  it('should process an allowed batch into an array of responses, skipping notifications', async () => {
    const peer = await rawPeer({ allowBatch: () => true });
    peer.endpoint.setRequestHandler('double', (p) => (p as number[]).map((n) => n * 2));
    await peer.send([
      { jsonrpc: '2.0', id: 1, method: 'double', params: [1, 2] },
      { jsonrpc: '2.0', method: 'note' },
      { jsonrpc: '2.0', id: 2, method: 'missing' },
      { jsonrpc: '2.0', id: 3, method: 'initialize', params: {} },
      42,
    ]);
    const [reply] = (await peer.waitFor(1)) as unknown[][];
    expect(reply).toEqual([
      { jsonrpc: '2.0', id: 1, result: [2, 4] },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found: missing' } },
      {
        jsonrpc: '2.0',
        id: 3,
        error: { code: -32600, message: 'Invalid Request: initialize must not be part of a batch' },
      },
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Invalid Request: A JSON-RPC message must be a JSON object' },
      },
    ]);
  });

  it('should send nothing for a batch of notifications, and -32600 for an empty batch', async () => {
    const peer = await rawPeer({ allowBatch: () => true });
    await peer.send([{ jsonrpc: '2.0', method: 'a' }]);
    await peer.settle();
    expect(peer.received).toEqual([]);
    await peer.send([]);
    const [reply] = (await peer.waitFor(1)) as Array<{ error: { code: number } }>;
    expect(reply?.error.code).toBe(-32600);
  });

  it('should abort the handler on notifications/cancelled and send no response', async () => {
    const peer = await rawPeer();
    let aborted: unknown;
    peer.endpoint.setRequestHandler('slow', (_params, context) => {
      return new Promise((resolve) => {
        context.signal.addEventListener('abort', () => {
          aborted = context.signal.reason;
          resolve('too late');
        });
      });
    });
    await peer.send({ jsonrpc: '2.0', id: 9, method: 'slow' });
    await peer.settle();
    expect(peer.endpoint.inFlightRequestCount).toBe(1);
    await peer.send({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 9, reason: 'user' },
    });
    await peer.settle();
    expect(peer.received).toEqual([]);
    expect(ProtocolError.isInstance(aborted)).toBe(true);
    expect((aborted as Error).message).toBe('user');
    expect(peer.endpoint.inFlightRequestCount).toBe(0);
  });

  it('should ignore cancellations of unknown ids, and tell 1 from "1"', async () => {
    const peer = await rawPeer();
    let release: () => void = () => {};
    peer.endpoint.setRequestHandler(
      'wait',
      () => new Promise<string>((resolve) => (release = () => resolve('done'))),
    );
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'wait' });
    await peer.settle();
    await peer.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: '1' } });
    await peer.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 999 } });
    await peer.settle();
    release();
    expect(await peer.waitFor(1)).toEqual([{ jsonrpc: '2.0', id: 1, result: 'done' }]);
  });

  it('should refuse a duplicate id while the first request is in flight', async () => {
    const peer = await rawPeer();
    let release: () => void = () => {};
    peer.endpoint.setRequestHandler('wait', () => new Promise((resolve) => (release = () => resolve(1))));
    await peer.send({ jsonrpc: '2.0', id: 'x', method: 'wait' });
    await peer.send({ jsonrpc: '2.0', id: 'x', method: 'wait' });
    const [duplicate] = (await peer.waitFor(1)) as Array<{ error: { code: number; message: string } }>;
    expect(duplicate?.error.code).toBe(-32600);
    expect(duplicate?.error.message).toMatch(/already in use/);
    release();
    await peer.waitFor(2);
  });

  it('should answer SERVER_BUSY beyond maxConcurrentRequests', async () => {
    const peer = await rawPeer({ maxConcurrentRequests: 2 });
    const releases: Array<() => void> = [];
    peer.endpoint.setRequestHandler(
      'wait',
      () => new Promise((resolve) => releases.push(() => resolve('ok'))),
    );
    for (const id of [1, 2, 3]) await peer.send({ jsonrpc: '2.0', id, method: 'wait' });
    const [busy] = (await peer.waitFor(1)) as Array<{ id: number; error: { code: number; data: unknown } }>;
    expect(busy).toMatchObject({ id: 3, error: { code: MimoErrorCode.SERVER_BUSY, data: { limit: 2 } } });
    for (const release of releases) release();
    await peer.waitFor(3);
  });

  it('should answer REQUEST_TIMEOUT and abort the handler after handlerTimeoutMs', async () => {
    const peer = await rawPeer({ handlerTimeoutMs: 30 });
    let signal: AbortSignal | undefined;
    peer.endpoint.setRequestHandler('hang', (_p, context) => {
      signal = context.signal;
      return new Promise(() => {});
    });
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'hang' });
    const [reply] = (await peer.waitFor(1)) as Array<{ error: { code: number; data: unknown } }>;
    expect(reply?.error).toMatchObject({ code: MimoErrorCode.REQUEST_TIMEOUT, data: { timeoutMs: 30 } });
    expect(signal?.aborted).toBe(true);
  });

  it('should send progress only when the request asked for it', async () => {
    const peer = await rawPeer();
    peer.endpoint.setRequestHandler('work', async (_p, context) => {
      await context.sendProgress({ progress: 1, total: 2, message: 'half' });
      return 'done';
    });
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'work', params: { _meta: { progressToken: 'tok' } } });
    await peer.send({ jsonrpc: '2.0', id: 2, method: 'work' });
    const replies = await peer.waitFor(3);
    expect(replies).toContainEqual({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 'tok', progress: 1, total: 2, message: 'half' },
    });
    expect(
      replies.filter((r) => (r as { method?: string }).method === 'notifications/progress'),
    ).toHaveLength(1);
  });
});

describe('JsonRpcEndpoint as a client', () => {
  it('should correlate many concurrent requests by id', async () => {
    const { a, b } = await pair();
    b.setRequestHandler('square', async (p) => {
      const n = (p as { n: number }).n;
      await new Promise((resolve) => setTimeout(resolve, (n * 7) % 5));
      return n * n;
    });
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => a.request('square', { n })));
    expect(results).toEqual(Array.from({ length: 200 }, (_, n) => n * n));
    expect(a.pendingRequestCount).toBe(0);
  });

  it('should reject with the peer JsonRpcError', async () => {
    const { a } = await pair();
    const error = await a.request('missing').catch((caught: unknown) => caught);
    expect(JsonRpcError.isInstance(error)).toBe(true);
    expect((error as JsonRpcError).code).toBe(-32601);
  });

  it('should time out, send notifications/cancelled and drop the late response', async () => {
    const { a, b } = await pair();
    const cancelled: unknown[] = [];
    const unmatched: unknown[] = [];
    let release: (value: string) => void = () => {};
    b.setRequestHandler('slow', () => new Promise((resolve) => (release = resolve)));
    b.setNotificationHandler('notifications/cancelled', (params) => {
      cancelled.push(params);
    });
    a.on('response-unmatched', (event) => unmatched.push(event));
    const started = Date.now();
    const error = await a.request('slow', {}, { timeoutMs: 50 }).catch((caught: unknown) => caught);
    const elapsed = Date.now() - started;
    expect(ProtocolError.isInstance(error)).toBe(true);
    expect((error as ProtocolError).code).toBe('TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(45);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cancelled).toEqual([{ requestId: 1, reason: expect.stringMatching(/timed out/) }]);
    // b's handler was aborted by the cancellation, so even its late completion sends nothing.
    release('late');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unmatched).toEqual([]);
  });

  it('should drop a response that arrives after a timeout (raw peer answers late)', async () => {
    const [mine, theirs] = createInMemoryTransportPair();
    const a = new JsonRpcEndpoint();
    const unmatched: unknown[] = [];
    a.on('response-unmatched', (event) => unmatched.push(event));
    await a.connect(mine);
    await theirs.start();
    const error = await a.request('x', {}, { timeoutMs: 10 }).catch((caught: unknown) => caught);
    expect((error as ProtocolError).code).toBe('TIMEOUT');
    await theirs.send({ jsonrpc: '2.0', id: 1, result: 'late' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unmatched).toEqual([{ id: 1 }]);
  });

  it('should reject ABORTED and cancel when the signal aborts, and before sending if already aborted', async () => {
    const { a, b } = await pair();
    const cancelled: unknown[] = [];
    b.setRequestHandler('slow', () => new Promise(() => {}));
    b.setNotificationHandler('notifications/cancelled', (params) => {
      cancelled.push(params);
    });
    const controller = new AbortController();
    const pending = a.request('slow', {}, { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    const error = (await pending.catch((caught: unknown) => caught)) as ProtocolError;
    expect(error.code).toBe('ABORTED');
    expect((error.cause as Error).message).toBe('user gave up');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelled).toHaveLength(1);
    const early = (await a
      .request('slow', {}, { signal: controller.signal })
      .catch((c: unknown) => c)) as ProtocolError;
    expect(early.code).toBe('ABORTED');
  });

  it('should never cancel initialize, even on timeout', async () => {
    const { a, b } = await pair();
    const cancelled: unknown[] = [];
    b.setRequestHandler('initialize', () => new Promise(() => {}));
    b.setNotificationHandler('notifications/cancelled', (params) => {
      cancelled.push(params);
    });
    await a.request('initialize', {}, { timeoutMs: 10 }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cancelled).toEqual([]);
  });

  it('should route progress to onProgress and reset the timeout on progress, within maxTotalTimeoutMs', async () => {
    const { a, b } = await pair();
    b.setRequestHandler('long', async (_p, context) => {
      for (let i = 1; i <= 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        await context.sendProgress({ progress: i, total: 4 });
      }
      return 'finished';
    });
    const seen: number[] = [];
    const result = await a.request(
      'long',
      {},
      {
        timeoutMs: 60,
        resetTimeoutOnProgress: true,
        onProgress: (progress) => seen.push(progress.progress),
      },
    );
    expect(result).toBe('finished');
    expect(seen).toEqual([1, 2, 3, 4]);

    const capped = await a
      .request(
        'long',
        {},
        { timeoutMs: 60, resetTimeoutOnProgress: true, maxTotalTimeoutMs: 70, onProgress: () => {} },
      )
      .catch((caught: unknown) => caught);
    expect((capped as ProtocolError).code).toBe('TIMEOUT');
  });

  it('should validate the result against resultSchema', async () => {
    const { a, b } = await pair();
    b.setRequestHandler('n', () => 'not a number');
    const error = (await a
      .request('n', {}, { resultSchema: z.number() })
      .catch((c: unknown) => c)) as ProtocolError;
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.message).toMatch(/Invalid result for n/);
  });

  it('should merge meta into params._meta', async () => {
    const { a, b } = await pair();
    b.setRequestHandler('meta', (_p, context) => context.meta);
    expect(await a.request('meta', { _meta: { x: 1 } }, { meta: { y: 2 } })).toEqual({ x: 1, y: 2 });
  });

  it('should reject NOT_CONNECTED without a transport and CLOSED after close', async () => {
    const lonely = new JsonRpcEndpoint();
    expect(((await lonely.request('x').catch((c: unknown) => c)) as ProtocolError).code).toBe(
      'NOT_CONNECTED',
    );
    const { a } = await pair();
    const pending = a.request('never-answered-because-closed', {}, { timeoutMs: 10_000 });
    await a.close();
    expect(((await pending.catch((c: unknown) => c)) as ProtocolError).code).toBe('CLOSED');
    expect(((await a.request('x').catch((c: unknown) => c)) as ProtocolError).code).toBe('CLOSED');
    await a.close();
  });

  it('should close when the transport closes, rejecting pending requests', async () => {
    const [mine, theirs] = createInMemoryTransportPair();
    const a = new JsonRpcEndpoint();
    const closes: unknown[] = [];
    a.on('close', (event) => closes.push(event));
    await a.connect(mine);
    await theirs.start();
    const pending = a.request('x');
    await theirs.close();
    expect(((await pending.catch((c: unknown) => c)) as ProtocolError).code).toBe('CLOSED');
    expect(closes).toEqual([{ reason: 'transport-closed' }]);
  });

  it('should leave no timers, pending entries or abort listeners behind after 20,000 calls', async () => {
    const { a, b } = await pair();
    b.setRequestHandler('ok', () => 1);
    b.setRequestHandler('hang', () => new Promise(() => {}));
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({ length: 1_000 }, () => a.request('ok', {}, { signal: controller.signal })),
      );
    }
    await Promise.all(
      Array.from({ length: 100 }, () =>
        a.request('hang', {}, { timeoutMs: 5, signal: controller.signal }).catch(() => {}),
      ),
    );
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(a.pendingRequestCount).toBe(0);
    expect(listeners).toBe(0);
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('createInMemoryTransportPair', () => {
  it('should deliver copies asynchronously and queue until started', async () => {
    const [x, y]: Transport[] = createInMemoryTransportPair();
    const got: unknown[] = [];
    y.onmessage = (value) => got.push(value);
    const message = { jsonrpc: '2.0' as const, method: 'm', params: { list: [1] } };
    await x.send(message);
    expect(got).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(got).toEqual([]);
    await y.start();
    expect(got).toEqual([message]);
    expect(got[0]).not.toBe(message);
  });
});

describe('JsonRpcEndpoint options', () => {
  it('should reject a misspelt option naming it and the likely key (bug: requestTimeout was ignored, 60 s used)', () => {
    const options = { requestTimeout: 5_000 } as unknown as JsonRpcEndpointOptions;
    expect(() => new JsonRpcEndpoint(options)).toThrow(ProtocolError);
    expect(() => new JsonRpcEndpoint(options)).toThrow(
      /JsonRpcEndpoint: unknown option "requestTimeout" \(did you mean "requestTimeoutMs"\?\); accepted options: requestTimeoutMs, /,
    );
    expect(() => new JsonRpcEndpoint({ requestTimeoutMs: 5_000, answerMalformed: false })).not.toThrow();
  });
});
