// Builds the Rust addon with `napi build` when cargo is available. Without cargo the build still succeeds:
// the package then runs on its pure-JS fallback (and says so once, with a process warning, at run time).
// With cargo present, a failing Rust build fails the package build: a broken addon is never hidden.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
if (cargo.error || cargo.status !== 0) {
  process.stderr.write(
    '@mimo-mcp/vector-nif: cargo was not found, so the native addon is not built; the package will use its ' +
      'pure-JS fallback (same results, slower). Install Rust (https://rustup.rs) and rebuild to get the addon.\n',
  );
  process.exit(0);
}

const napi = join(here, 'node_modules', '.bin', process.platform === 'win32' ? 'napi.cmd' : 'napi');
const result = spawnSync(
  napi,
  [
    'build',
    '--platform',
    '--release',
    '--manifest-path',
    '../../crates/vector-nif/Cargo.toml',
    '--output-dir',
    '.',
    '--no-js',
  ],
  // napi's progress output goes to stderr so a build never pollutes stdout.
  { cwd: here, stdio: ['ignore', 2, 2], env: { ...process.env, CARGO_NET_OFFLINE: 'true' } },
);
if (result.status !== 0) {
  process.stderr.write(
    `@mimo-mcp/vector-nif: the native build failed (exit ${result.status ?? result.signal}).\n`,
  );
  process.exit(result.status ?? 1);
}
