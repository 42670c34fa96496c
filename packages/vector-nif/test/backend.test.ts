import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadNative, resolveBackend } from '../src/backend.js';
import { backend, getKernels, VectorError } from '../src/index.js';
import { skipNative } from './helpers/native.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = join(packageDir, '..', '..');

function importBackend(environment: Record<string, string>) {
  return spawnSync(
    process.execPath,
    [
      '-e',
      "import('@mimo-mcp/vector-nif').then((m) => console.log(JSON.stringify({ name: m.backend.name, reason: m.backend.reason, simd: m.backend.simd })), (e) => { console.log(JSON.stringify({ code: e.code, message: e.message })); })",
    ],
    { cwd: packageDir, env: { ...process.env, ...environment }, encoding: 'utf8' },
  );
}

describe('backend selection', () => {
  it.skipIf(skipNative)(
    'should really load the native addon when CI forces it (MIMO_VECTOR_BACKEND=native)',
    () => {
      if (process.env.MIMO_VECTOR_BACKEND === 'native') {
        expect(backend.name).toBe('native');
        expect(backend.reason).toMatch(/forced by MIMO_VECTOR_BACKEND=native/);
      }
      expect(getKernels('native').raw.info().simd).toMatch(/avx2|portable/);
    },
  );

  it.skipIf(skipNative)(
    'should report native, with the reason and SIMD level, in a process that forces it',
    () => {
      const result = importBackend({ MIMO_VECTOR_BACKEND: 'native' });
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        name: 'native',
        reason: 'forced by MIMO_VECTOR_BACKEND=native',
      });
      expect(result.stderr).toBe('');
    },
  );

  it('should use the JS fallback when forced, silently', () => {
    const result = importBackend({ MIMO_VECTOR_BACKEND: 'js' });
    expect(JSON.parse(result.stdout)).toMatchObject({
      name: 'js',
      reason: 'forced by MIMO_VECTOR_BACKEND=js',
    });
    expect(result.stderr).toBe('');
  });

  it('should reject an unknown MIMO_VECTOR_BACKEND value naming the allowed ones', () => {
    expect(() => resolveBackend('gpu')).toThrow(/must be "native", "js" or "auto"/);
  });

  it('should explain why no addon loads from a directory without one', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vector-nif-'));
    const loaded = loadNative(empty);
    expect('error' in loaded && loaded.error).toMatch(/vector-nif\.linux-x64-gnu\.node \(not found\)/);
  });

  it('should fail with NATIVE_UNAVAILABLE naming why when native is forced but absent, and fall back with one warning otherwise', () => {
    // Run a copy of the built package from a directory holding no addon.
    const copy = mkdtempSync(join(tmpdir(), 'vector-nif-copy-'));
    const script = (forced: string) => `
      process.env.MIMO_VECTOR_BACKEND = ${JSON.stringify(forced)};
      const { resolveBackend } = await import(${JSON.stringify(join(packageDir, 'src', 'backend.ts'))});
      void resolveBackend;`;
    void script;
    const run = (forced: string) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { cpSync, existsSync, symlinkSync } from 'node:fs';
           cpSync(${JSON.stringify(join(packageDir, 'dist'))}, ${JSON.stringify(join(copy, 'dist'))}, { recursive: true });
           cpSync(${JSON.stringify(join(packageDir, 'package.json'))}, ${JSON.stringify(join(copy, 'package.json'))});
           // Its dependencies (@mimo-mcp/core), as an install would have them; the addon is not among them.
           if (!existsSync(${JSON.stringify(join(copy, 'node_modules'))})) symlinkSync(${JSON.stringify(join(packageDir, 'node_modules'))}, ${JSON.stringify(join(copy, 'node_modules'))}, 'dir');
           process.env.MIMO_VECTOR_BACKEND = ${JSON.stringify(forced)};
           try {
             const m = await import(${JSON.stringify(join(copy, 'dist', 'index.js'))});
             console.log(JSON.stringify({ name: m.backend.name, dot: m.dot(new Float32Array([1, 2]), new Float32Array([3, 4])) }));
           } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
        ],
        { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, MIMO_VECTOR_BACKEND: forced } },
      );
    const forced = run('native');
    const forcedOut = JSON.parse(forced.stdout);
    expect(forcedOut.code).toBe('NATIVE_UNAVAILABLE');
    expect(forcedOut.message).toMatch(/MIMO_VECTOR_BACKEND=native, but no usable native addon .*not found/);
    const fallback = run('');
    expect(JSON.parse(fallback.stdout)).toEqual({ name: 'js', dot: 11 });
    expect(fallback.stderr.match(/MIMO_VECTOR_JS_FALLBACK/g)).toHaveLength(1);
    expect(fallback.stderr).toMatch(/using the pure-JS fallback/);
  });

  it('should be a VectorError with a code', () => {
    const error = new VectorError('EMPTY_VECTOR', 'x');
    expect(VectorError.isInstance(error)).toBe(true);
    expect(error.code).toBe('EMPTY_VECTOR');
  });
});
