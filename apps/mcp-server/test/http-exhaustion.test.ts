import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, sandbox } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
const children: ChildProcess[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** GET /health from 127.0.0.1; resolves with the status, or 0 when the connection fails. */
function health(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('mimo serve: descriptor exhaustion', () => {
  it('should stay alive and answer /health after 2,000 unauthenticated slow connections at ulimit -n 1024 (bug: EMFILE crashed the process)', async () => {
    const box = sandbox({ monitor: { intervalMs: 100 } });
    // `exec` so the signal and exit code are the server's own; the shell is the test's, not the product's.
    const child = spawn(
      'bash',
      ['-c', 'ulimit -n 1024 && exec "$0" "$1" serve --port 0 --log-level info', process.execPath, CLI],
      {
        env: { ...box.env, MIMO_LOG_LEVEL: 'info', MIMO_HTTP_TOKENS: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr?.on('data', (chunk) => {
        stderr += chunk;
        const found = /"url":"http:\/\/127\.0\.0\.1:(\d+)\/mcp"/.exec(stderr)?.[1];
        if (found) resolve(Number(found));
      });
      void exited.then((code) => reject(new Error(`mimo serve exited with ${code}: ${stderr}`)));
    });
    expect(await health(port)).toBe(200);

    // 2,000 clients without a token, from another loopback address, each sending half a POST: half of
    // them stop inside the headers, half inside the body.
    const opened = await Promise.all(
      Array.from(
        { length: 2000 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
            sockets.push(socket);
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
            socket.on('connect', () => {
              const head = 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
              socket.write(
                i % 2 === 0
                  ? head
                  : `${head}Accept: application/json, text/event-stream\r\nContent-Length: 2000\r\n\r\n` +
                      `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(900)}`,
                () => resolve(),
              );
            });
          }),
      ),
    );
    expect(opened).toHaveLength(2000);
    // Several samples of the resource monitor (every 100 ms) run while the sockets are held.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect.poll(() => health(port), { timeout: 30_000, interval: 250 }).toBe(200);
    expect(child.exitCode).toBe(null);
    for (const socket of sockets.splice(0)) socket.destroy();
    await expect.poll(() => health(port), { timeout: 30_000, interval: 250 }).toBe(200);
    expect(stderr).not.toMatch(/EMFILE.*uncaught|uncaughtException|mimo: Error/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
