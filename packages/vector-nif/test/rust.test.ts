import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const manifest = fileURLToPath(new URL('../../../crates/vector-nif/Cargo.toml', import.meta.url));
const hasCargo = spawnSync('cargo', ['--version']).status === 0;

/** Runs the crate's Rust unit tests (kernels, quantisation, top-k, search) and returns cargo's summary. */
function cargoTest(environment: Record<string, string>) {
  return spawnSync('cargo', ['test', '--release', '--offline', '--manifest-path', manifest], {
    encoding: 'utf8',
    env: { ...process.env, ...environment },
    timeout: 600_000,
  });
}

describe.skipIf(!hasCargo)('Rust unit tests (cargo test)', () => {
  it('should pass with the AVX2 kernels (when the CPU has them)', () => {
    const result = cargoTest({});
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout).toMatch(/test result: ok\. (\d+) passed; 0 failed/);
  }, 600_000);

  it('should pass with the portable kernels forced (MIMO_VECTOR_SIMD=portable)', () => {
    const result = cargoTest({ MIMO_VECTOR_SIMD: 'portable' });
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout).toMatch(/test result: ok\. (\d+) passed; 0 failed/);
  }, 600_000);
});

describe.skipIf(!hasCargo)('Rust style gates', () => {
  it('should be formatted (cargo fmt --check)', () => {
    const result = spawnSync('cargo', ['fmt', '--check', '--manifest-path', manifest], { encoding: 'utf8' });
    if (result.error || /no such command|not installed/.test(result.stderr)) return;
    expect(result.status, result.stdout.slice(0, 2000)).toBe(0);
  });

  it('should pass clippy with -D warnings', () => {
    const result = spawnSync(
      'cargo',
      [
        'clippy',
        '--release',
        '--offline',
        '--all-targets',
        '--manifest-path',
        manifest,
        '--',
        '-D',
        'warnings',
      ],
      { encoding: 'utf8', timeout: 600_000 },
    );
    if (/no such command|not installed/.test(result.stderr)) return;
    expect(result.status, result.stderr.slice(-3000)).toBe(0);
  }, 600_000);
});
