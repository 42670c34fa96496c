import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { closedPort, startEmbeddingsServer } from '@mimo-mcp/internal-testing/embeddings-server';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, sandbox } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Runs the built `mimo` and collects its output (asynchronously, so a test server can answer it). */
function mimo(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(kill);
      resolve({ status, stdout, stderr });
    });
  });
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const CHECKS = [
  'node',
  'vector backend',
  'configuration',
  'startup',
  'database integrity',
  'namespace',
  'embedder',
];

const lines = (stdout: string) => stdout.trimEnd().split('\n');

describe('mimo doctor (issue #11: with an unreachable embedder it printed nothing and exited 0)', () => {
  it('should print every check, FAIL the embedder, end with a verdict and exit 1', async () => {
    const box = sandbox({
      embedder: {
        provider: 'openai',
        model: 'text-embedding-3-small',
        baseUrl: `http://127.0.0.1:${await closedPort()}`,
      },
    });
    const result = await mimo(['doctor'], box.env);
    for (const check of CHECKS)
      expect(result.stdout).toMatch(new RegExp(`^(ok|warn|FAIL)\\s+${check}\\s`, 'm'));
    expect(result.stdout).toMatch(
      /^FAIL\s+embedder\s+Embedding with openai\/text-embedding-3-small failed: .*ECONNREFUSED/m,
    );
    expect(lines(result.stdout).at(-1)).toBe('verdict: 1 problem (embedder)');
    expect(result.status).toBe(1);
  });

  it('should give up on an embedder that never answers after the check timeout, and still end with a verdict', async () => {
    // Accepts the request and never answers.
    const port = await listen(createServer(() => {}));
    const box = sandbox({
      embedder: { provider: 'openai', model: 'silent', baseUrl: `http://127.0.0.1:${port}` },
    });
    const result = await mimo(['doctor', '--check-timeout', '1000'], box.env);
    expect(result.stdout).toMatch(/^FAIL\s+embedder\s+no answer within 1000 ms$/m);
    expect(lines(result.stdout).at(-1)).toBe('verdict: 1 problem (embedder)');
    expect(result.status).toBe(1);
  });

  it('should warn about memories still waiting for a vector, without failing for it', async () => {
    // Embeds the doctor's probe text, and fails for anything else: the pending memory stays pending.
    const picky = (
      await startEmbeddingsServer({
        embed: (input) =>
          input.join() === 'mimo doctor'
            ? [[1, 0, 0, 0]]
            : { status: 400, body: '{"error":"input rejected"}' },
      })
    ).port;
    const box = sandbox({
      embedder: { provider: 'openai', model: 'm', baseUrl: `http://127.0.0.1:${picky}`, dimensions: 4 },
    });
    const file = join(box.dir, 'export.jsonl');
    const memory = {
      type: 'memory',
      id: 'm-pending',
      namespace: 'test',
      content: 'stored without a vector',
      kind: 'note',
      tags: [],
      importance: 0.5,
      metadata: {},
      createdAt: 1,
      updatedAt: 1,
      accessedAt: null,
      accessCount: 0,
      expiresAt: null,
    };
    const header = {
      type: 'header',
      format: 'mimo-memory',
      version: 1,
      exportedAt: new Date().toISOString(),
    };
    writeFileSync(file, `${JSON.stringify(header)}\n${JSON.stringify(memory)}\n`);
    expect((await mimo(['import', file], box.env)).status).toBe(0);
    const result = await mimo(['doctor'], box.env);
    expect(result.stdout).toMatch(/^ok\s+embedder\s+openai\/m, 4 dimensions$/m);
    expect(result.stdout).toMatch(
      /^warn\s+pending embeddings\s+1 memory has no vector yet .*backfill (running|scheduled)/m,
    );
    expect(lines(result.stdout).at(-1)).toBe('verdict: all ok, 1 warning (pending embeddings)');
    expect(result.status).toBe(0);
  });

  it('should exit 0 with "verdict: all ok" on a healthy setup', async () => {
    const box = sandbox();
    const result = await mimo(['doctor'], box.env);
    for (const check of CHECKS) expect(result.stdout).toMatch(new RegExp(`^ok\\s+${check}\\s`, 'm'));
    expect(result.stdout).toMatch(/^ok\s+pending embeddings\s+none$/m);
    expect(lines(result.stdout).at(-1)).toBe('verdict: all ok');
    expect(result.status).toBe(0);
  });
});
