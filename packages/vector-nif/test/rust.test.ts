import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const manifest = fileURLToPath(new URL('../../../crates/vector-nif/Cargo.toml', import.meta.url));
const hasCargo = spawnSync('cargo', ['--version']).status === 0;
// rustfmt and clippy are separate components: cargo can be installed without them. A missing tool skips its
// check, so the report says "skipped"; it never lets the check pass unseen.
const hasRustfmt = hasCargo && spawnSync('cargo', ['fmt', '--version']).status === 0;
const hasClippy = hasCargo && spawnSync('cargo', ['clippy', '--version']).status === 0;

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
  it.skipIf(!hasRustfmt)('should be formatted (cargo fmt --check)', () => {
    const result = spawnSync('cargo', ['fmt', '--check', '--manifest-path', manifest], { encoding: 'utf8' });
    expect(result.status, result.stdout.slice(0, 2000)).toBe(0);
  });

  it.skipIf(!hasClippy)('should pass clippy with -D warnings', { timeout: 600_000 }, () => {
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
    expect(result.status, result.stderr.slice(-3000)).toBe(0);
  });
});
