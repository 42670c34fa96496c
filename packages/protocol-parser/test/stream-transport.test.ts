import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createStreamTransport, JsonRpcEndpoint, MimoErrorCode, NdjsonDecoder } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/echo-server.mjs', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Spawns the fixture server and collects every stdout line as parsed JSON. */
function startServer() {
  const child = spawn(process.execPath, [fixture], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  const decoder = new NdjsonDecoder({ maxMessageBytes: 64 * 1024 * 1024 });
  const lines: unknown[] = [];
  let rawStdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    rawStdout += chunk.toString('utf8');
    for (const frame of decoder.push(chunk)) lines.push(frame.ok ? frame.value : frame.error);
  });
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (lines.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return lines;
  };
  return { child, lines, waitFor, raw: () => rawStdout };
}

describe('stdio server built on createStreamTransport (real child process)', () => {
  it('should answer a ping after every kind of bad frame, and keep stdout pure JSON-RPC', async () => {
    const server = startServer();
    const bad = [
      'garbage\n',
      '{"jsonrpc":"2.0","id":1,"method":\n',
      Buffer.from([0xc3, 0x28, 0x0a]),
      '{"jsonrpc":"2.0","id":2,"method":"nope"}\n',
      '{"jsonrpc":"2.0","id":3,"method":"ping","params":null}\n',
      '[{"jsonrpc":"2.0","id":4,"method":"ping"}]\n',
      '\n\r\n',
      '{"jsonrpc":"2.0","method":"notifications/whatever"}\n',
    ];
    let expected = 0;
    for (const frame of bad) {
      server.child.stdin.write(frame);
      expected += frame === '\n\r\n' || String(frame).includes('notifications/') ? 0 : 1;
      server.child.stdin.write(`{"jsonrpc":"2.0","id":"ping-${expected}","method":"ping"}\n`);
      expected += 1;
      await server.waitFor(expected);
    }
    const lines = await server.waitFor(expected);
    expect(lines).toHaveLength(expected);
    const errors = lines.filter((l) => (l as { error?: unknown }).error) as Array<{
      id: unknown;
      error: { code: number };
    }>;
    expect(errors.map((e) => e.error.code)).toEqual([-32700, -32700, -32700, -32601, -32600, -32600]);
    expect(errors.map((e) => e.id)).toEqual([null, null, null, 2, 3, null]);
    const pings = lines.filter((l) => String((l as { id?: unknown }).id).startsWith('ping-'));
    expect(pings).toHaveLength(bad.length);
    for (const line of server.raw().split('\n').filter(Boolean)) {
      expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
    }
  });

  it('should answer an oversized request with MESSAGE_TOO_LARGE and its own id (bug: id null), then the next request', async () => {
    const server = startServer();
    const huge = `{"jsonrpc":"2.0","id":1,"method":"echo","params":{"s":"${'y'.repeat(2 * 1024 * 1024)}"}}\n`;
    server.child.stdin.write(huge);
    server.child.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    const lines = (await server.waitFor(2)) as Array<{
      id: unknown;
      error?: { code: number; data: unknown };
    }>;
    expect(lines[0]).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: MimoErrorCode.MESSAGE_TOO_LARGE,
        message: expect.stringContaining('1048576 bytes'),
        data: { limitBytes: 1048576 },
      },
    });
    expect(lines[1]).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
  });

  it('should answer an oversized request whose id comes after its params (the official SDK order) with that id', async () => {
    const server = startServer();
    const huge = `{"method":"echo","params":{"s":"${'y'.repeat(2 * 1024 * 1024)}","id":9},"jsonrpc":"2.0","id":"last"}\n`;
    server.child.stdin.write(huge);
    server.child.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    const lines = (await server.waitFor(2)) as Array<{ id: unknown; error?: { code: number } }>;
    expect(lines.map((line) => [line.id, line.error?.code])).toEqual([
      ['last', MimoErrorCode.MESSAGE_TOO_LARGE],
      [2, undefined],
    ]);
  });

  it('should answer an oversized line with no top-level id with id null, then close the connection', async () => {
    const server = startServer();
    const exited = new Promise((resolve) => server.child.on('exit', resolve));
    // An id nested in params is not the request's.
    const huge = `{"jsonrpc":"2.0","method":"echo","params":{"id":1,"s":"${'y'.repeat(2 * 1024 * 1024)}"}}\n`;
    server.child.stdin.write(huge);
    expect(await exited).toBe(0);
    expect(server.lines).toMatchObject([
      { id: null, error: { code: MimoErrorCode.MESSAGE_TOO_LARGE, data: { limitBytes: 1048576 } } },
    ]);
  });

  it('should be driven by a JsonRpcEndpoint client over the child stdio, with large responses', async () => {
    const server = startServer();
    server.child.stdout.removeAllListeners('data');
    const client = new JsonRpcEndpoint();
    await client.connect(
      createStreamTransport({ readable: server.child.stdout, writable: server.child.stdin }),
    );
    const [echo, big] = await Promise.all([
      client.request('echo', { hello: 'wörld 😀' }),
      client.request<{ text: string }>('big', { size: 900_000 }),
    ]);
    expect(echo).toEqual({ hello: 'wörld 😀' });
    expect(big.text).toHaveLength(900_000);
    const exited = new Promise((resolve) => server.child.on('exit', resolve));
    await client.close();
    expect(await exited).toBe(0);
  });
});

describe('createStreamTransport', () => {
  it('should close on end of input after decoding a final unterminated line', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = createStreamTransport({ readable: input, writable: output });
    const got: unknown[] = [];
    let closed = 0;
    transport.onmessage = (value) => got.push(value);
    transport.onclose = () => closed++;
    await transport.start();
    input.end('{"jsonrpc":"2.0","method":"last"}');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(got).toEqual([{ jsonrpc: '2.0', method: 'last' }]);
    expect(closed).toBe(1);
    await transport.close();
    expect(closed).toBe(1);
    await expect(transport.send({ jsonrpc: '2.0', method: 'x' })).rejects.toThrow(/closed/);
  });

  it('should wait for drain when the writable is full (backpressure)', async () => {
    const input = new PassThrough();
    const output = new PassThrough({ highWaterMark: 16 });
    const transport = createStreamTransport({ readable: input, writable: output });
    await transport.start();
    let resolved = false;
    const sending = transport
      .send({ jsonrpc: '2.0', method: 'x', params: { pad: 'z'.repeat(100) } })
      .then(() => {
        resolved = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(resolved).toBe(false);
    output.read();
    await sending;
    expect(resolved).toBe(true);
  });

  it('should not leak a close and an error listener per backpressured write (bug: Promise.race of two once()s)', async () => {
    // A real child that reads nothing until SIGUSR2, so its stdin pipe fills and every send waits.
    const child = spawn(
      process.execPath,
      [
        '-e',
        "process.on('SIGUSR2', () => process.stdin.on('data', () => {})); setInterval(() => {}, 1e6); process.stdout.write('ready\\n');",
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(child);
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    const stdin = child.stdin as NonNullable<typeof child.stdin>;
    const counts = () => ({
      close: stdin.listenerCount('close'),
      error: stdin.listenerCount('error'),
      drain: stdin.listenerCount('drain'),
    });
    const input = new PassThrough();
    const transport = createStreamTransport({
      readable: input,
      writable: stdin,
      pauseReadingAboveBytes: 256 * 1024,
    });
    await transport.start();
    const baseline = counts();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const pad = 'z'.repeat(1024);
      // 4,000 messages of 1 KiB: far past the 64 KiB pipe buffer, so nearly all of them wait for drain.
      const sends = Array.from({ length: 4000 }, (_, i) =>
        transport.send({ jsonrpc: '2.0', method: 'x', params: { i, pad } }),
      );
      await new Promise((resolve) => setImmediate(resolve));
      const waiting = counts();
      expect(waiting.close).toBeLessThanOrEqual(baseline.close + 1);
      expect(waiting.error).toBeLessThanOrEqual(baseline.error + 1);
      expect(waiting.drain).toBeLessThanOrEqual(baseline.drain + 1);
      // More than pauseReadingAboveBytes wait to be written: no more input is read until they drain.
      expect(input.isPaused()).toBe(true);
      child.kill('SIGUSR2');
      await Promise.all(sends);
      expect(counts()).toEqual(baseline);
      expect(input.isPaused()).toBe(false);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    await transport.close();
  });
});
