import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, INITIALIZE_REQUEST, sandbox } from './helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('mimo stdio under backpressure', () => {
  it('should answer 30,000 pipelined pings without piling up listeners on stdout (bug: a close and an error listener per backpressured write)', async () => {
    const box = sandbox();
    const child = spawn(process.execPath, [CLI], { env: box.env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const ids = new Set<unknown>();
    let rest = '';
    const waiters: Array<() => void> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) ids.add((JSON.parse(line) as { id: unknown }).id);
      for (const waiter of waiters.splice(0)) waiter();
    });
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    const write = (message: unknown) =>
      child.stdin.write(`${JSON.stringify(message)}\n`)
        ? Promise.resolve()
        : new Promise((resolve) => child.stdin.once('drain', resolve));
    await write(INITIALIZE_REQUEST);
    await until(() => ids.has(1));
    await write({ jsonrpc: '2.0', method: 'notifications/initialized' });
    // Pipelined: every ping is written before its answer is read; the server's stdout stays full.
    const count = 30_000;
    for (let i = 0; i < count; i++) await write({ jsonrpc: '2.0', id: `p${i}`, method: 'ping' });
    await until(() => ids.size === count + 1);
    expect([...ids].filter((id) => String(id).startsWith('p'))).toHaveLength(count);
    expect(stderr).not.toMatch(/MaxListenersExceededWarning/);
    child.stdin.end();
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  }, 120_000);
});
