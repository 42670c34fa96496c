import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, INSPECTOR, sandbox } from './helpers.js';

function mimo(args: string[], env: Record<string, string>, input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', input, timeout: 60_000 });
}

describe('mimo command line', () => {
  it("should ship memory-store's writer thread next to cli.js (bug: the bundle left it out, so bulk writes fell back to the main thread)", () => {
    // memory-store starts it as new URL('./writer-thread.js', import.meta.url), which in the bundle is here.
    expect(existsSync(join(dirname(CLI), 'writer-thread.js'))).toBe(true);
  });

  it('should print its version and help', () => {
    const { env } = sandbox();
    const version = mimo(['--version'], env);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = mimo(['--help'], env);
    expect(help.stdout).toContain('mimo import <file>');
    expect(mimo(['--bogus'], env).status).toBe(2);
    expect(mimo(['frobnicate'], env).stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('should print the effective configuration with secrets masked, flags over env over file', () => {
    const box = sandbox({
      embedder: { provider: 'openai', model: 'text-embedding-3-small', apiKey: 'sk-file-secret' },
      mcpServers: {
        gh: { command: 'npx', args: ['-y', 'server-github'], env: { GITHUB_TOKEN: 'ghp_secret' } },
      },
      toolProfile: 'memory',
    });
    const result = mimo(['config', '--tool-profile', 'compact'], {
      ...box.env,
      MIMO_TOOL_PROFILE: 'all',
      MIMO_LOG_LEVEL: 'error',
    });
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(config).toMatchObject({
      toolProfile: 'compact',
      logLevel: 'error',
      namespace: 'test',
      database: { path: box.db },
    });
    expect(result.stdout).not.toContain('sk-file-secret');
    expect(result.stdout).not.toContain('ghp_secret');
    expect(JSON.stringify(config)).toContain('***');
  });

  it('should import the official memory.jsonl, report stats, and export everything back', () => {
    const box = sandbox();
    const official = join(box.dir, 'memory.jsonl');
    writeFileSync(
      official,
      [
        { type: 'entity', name: 'mimo', entityType: 'project', observations: ['written in TypeScript'] },
        { type: 'entity', name: 'sqlite', entityType: 'database', observations: [] },
        { type: 'relation', from: 'mimo', to: 'sqlite', relationType: 'stores data in' },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    const imported = mimo(['import', official], box.env);
    expect(imported.status).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ format: 'official', entities: 2, relations: 1 });
    const stats = JSON.parse(mimo(['stats'], box.env).stdout) as { entities: number; relations: number };
    expect(stats).toMatchObject({ entities: 2, relations: 1 });
    const out = join(box.dir, 'export.jsonl');
    const exported = mimo(['export', '-o', out], box.env);
    expect(exported.status).toBe(0);
    expect(exported.stderr).toContain('records written: ');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    expect(readFileSync(out, 'utf8')).toContain('stores data in');
    expect(mimo(['import', join(box.dir, 'missing.jsonl')], box.env).status).toBe(1);
  });

  it('should run the doctor: every check, a reachable skill, a broken one', () => {
    const box = sandbox({
      mcpServers: {
        everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
        broken: { command: process.execPath, args: ['-e', 'process.exit(3)'], restart: false },
      },
    });
    const result = mimo(['doctor'], box.env);
    expect(result.stdout).toMatch(/^ok\s+node/m);
    expect(result.stdout).toMatch(/^ok\s+vector backend/m);
    expect(result.stdout).toMatch(/^ok\s+database integrity\s+ok/m);
    expect(result.stdout).toMatch(/^ok\s+embedder\s+local-hash/m);
    expect(result.stdout).toMatch(/^ok\s+skill everything/m);
    expect(result.stdout).toMatch(/^FAIL\s+skill broken/m);
    expect(result.status).toBe(1);
  });
});

describe('MCP Inspector CLI smoke test', () => {
  it('should list mimo’s tools and call one', () => {
    const box = sandbox();
    const run = (...args: string[]) =>
      spawnSync(INSPECTOR, ['--cli', process.execPath, CLI, ...args], {
        env: { ...process.env, ...box.env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const listed = run('--method', 'tools/list');
    expect(listed.status).toBe(0);
    const names = (JSON.parse(listed.stdout) as { tools: Array<{ name: string }> }).tools.map(
      (tool) => tool.name,
    );
    expect(names).toContain('memory_store');
    const called = run(
      '--method',
      'tools/call',
      '--tool-name',
      'memory_store',
      '--tool-arg',
      'content=stored by the inspector',
    );
    expect(called.status).toBe(0);
    expect(JSON.parse(called.stdout)).toMatchObject({ structuredContent: { status: 'created' } });
  });
});
