import { type ChildProcess, execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, INITIALIZE_REQUEST, sandbox, serveHttp } from './helpers.js';

const run = promisify(execFile);
const TOKEN = 'file-token-0123456789abcdef';
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `mimo serve` on a free loopback port with extra args and environment. */
async function startServer(args: string[], env: Record<string, string> = {}) {
  const server = await serveHttp({ args, env });
  children.push(server.child);
  return server;
}

const initialize = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(INITIALIZE_REQUEST),
  }).then((response) => response.status);

/** GET with a chosen Host header (fetch cannot set one). */
function getWithHost(base: string, path: string, host: string): Promise<number> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('mimo serve: tokens from a file', () => {
  it('should take tokens from --token-file, keep them out of argv, and warn about --token (bug: the README put the token in argv)', async () => {
    const dir = sandbox().dir;
    const file = join(dir, 'tokens');
    writeFileSync(file, `# Mimo tokens\n\n  ${TOKEN}  \nsecond-token-0123456789abcdef\n`);
    chmodSync(file, 0o600);
    const server = await startServer(['--token-file', file]);
    expect(await initialize(server.base)).toBe(401);
    expect(await initialize(server.base, { Authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await initialize(server.base, { Authorization: 'Bearer second-token-0123456789abcdef' })).toBe(
      200,
    );
    expect(readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8')).not.toContain(TOKEN);
    expect(server.stderr()).not.toMatch(/process list|readable by group/);

    const fromEnv = await startServer([], { MIMO_HTTP_TOKENS_FILE: file });
    expect(await initialize(fromEnv.base, { Authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await initialize(fromEnv.base)).toBe(401);

    const inArgv = await startServer(['--token', TOKEN]);
    expect(inArgv.stderr()).toMatch(/--token puts the token in the process list.*--token-file/);
    expect(inArgv.stderr()).not.toContain(TOKEN);
  });

  it('should warn about a token file others can read, and refuse a missing, empty or short one with the reason', async () => {
    const dir = sandbox().dir;
    const open = join(dir, 'open-tokens');
    writeFileSync(open, `${TOKEN}\n`);
    chmodSync(open, 0o644);
    const server = await startServer(['--token-file', open]);
    expect(server.stderr()).toMatch(/open-tokens is readable by group or others \(mode 644\); run chmod 600/);

    const refused = async (content: string | undefined, pattern: RegExp) => {
      const path = join(dir, `bad-${Math.random()}`);
      if (content !== undefined) writeFileSync(path, content, { mode: 0o600 });
      const failure = (await run(process.execPath, [CLI, 'serve', '--port', '0', '--token-file', path], {
        env: sandbox().env,
      }).catch((error: unknown) => error)) as { code: number; stderr: string };
      expect([failure.code, failure.stderr]).toEqual([2, expect.stringMatching(pattern)]);
    };
    await refused(undefined, /--token-file: .*bad-.*: no such file/);
    await refused('# nothing here\n\n', /holds no token \(one per line; # starts a comment\)/);
    await refused('short\n', /bad-.*:1: a token needs at least 16 characters/);
  });
});

describe('mimo serve: /health and DNS rebinding', () => {
  it('should apply the Host rule to /health (bug: a rebinding page could read it)', async () => {
    const server = await startServer([]);
    expect(await getWithHost(server.base, '/health', 'evil.example:7077')).toBe(403);
    expect(await getWithHost(server.base, '/health', 'localhost')).toBe(200);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
  });
});
