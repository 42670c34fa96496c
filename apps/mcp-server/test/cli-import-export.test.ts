import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from '@mimo-mcp/memory-store';
import { describe, expect, it } from 'vitest';
import { CLI, sandbox } from './helpers.js';

function mimo(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

const entity = (name: string) =>
  JSON.stringify({ type: 'entity', name, entityType: 'thing', observations: [`about ${name}`] });

describe('mimo import (issue #11: no line-length bound, a 700 MB line crashed it with RangeError)', () => {
  it('should stop at a line over the limit with its number and the limit, exit 1, and keep what came before', () => {
    const box = sandbox();
    const file = join(box.dir, 'long.jsonl');
    // 600 good lines (one batch of 500 is written before the bad line), then one line just over the default.
    const good = Array.from({ length: 600 }, (_, i) => entity(`e${i}`)).join('\n');
    writeFileSync(file, `${good}\n${'x'.repeat(DEFAULT_MAX_LINE_BYTES + 1)}\n${entity('after')}\n`);
    const result = mimo(['import', file], box.env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `mimo import: Line 601 is longer than the limit of ${DEFAULT_MAX_LINE_BYTES} bytes (maxLineBytes)`,
    );
    expect(result.stderr).toContain('--max-line-bytes');
    expect(result.stderr).toContain(
      'the batches written before it stay: 0 memories, 500 entities, 0 relations',
    );
    expect(result.stderr).not.toContain('RangeError');
    const stats = JSON.parse(mimo(['stats'], box.env).stdout) as { entities: number };
    expect(stats.entities).toBe(500);

    // A higher limit lets the same line through (and then it is refused as what it is: not JSON).
    const raised = mimo(['import', file, '--max-line-bytes', String(DEFAULT_MAX_LINE_BYTES + 1)], box.env);
    expect(raised.status).toBe(1);
    expect(raised.stderr).toContain('Line 601 is not valid JSON');
  });

  it('should say which namespace and database it imported into', () => {
    const box = sandbox();
    const file = join(box.dir, 'memory.jsonl');
    writeFileSync(file, `${entity('mimo')}\n`);
    const result = mimo(['import', file, '--namespace', 'project:newcomer'], box.env);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      `imported 0 memories, 1 entity, 0 relations (0 records already there) into namespace project:newcomer of ${box.db}`,
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ namespaces: ['project:newcomer'], database: box.db });
  });
});

describe('mimo export -o (issue #11: it wrote through a symlink)', () => {
  it('should replace a symlink at the path with the export, leaving the file it pointed to untouched', () => {
    const box = sandbox();
    const file = join(box.dir, 'memory.jsonl');
    writeFileSync(file, `${entity('exported')}\n`);
    expect(mimo(['import', file], box.env).status).toBe(0);
    const victim = join(box.dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const out = join(box.dir, 'export.jsonl');
    symlinkSync(victim, out);
    const result = mimo(['export', '-o', out], box.env);
    expect(result.status).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(out).isSymbolicLink()).toBe(false);
    expect(lstatSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('"name":"exported"');
  });

  it('should fail with the reason and exit 1 when the export cannot be written', () => {
    const box = sandbox();
    const result = mimo(['export', '-o', join(box.dir, 'no-such-dir', 'export.jsonl')], box.env);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/mimo export: .*ENOENT/);
  });
});
