/**
 * How this package's own suites report on a machine that lacks a part. A check whose tool or addon is
 * missing must say "skipped", never "passed", and the checks that do not need the part must still run;
 * where CI requires the addon (`MIMO_VECTOR_BACKEND=native`), a missing addon must fail. Each case runs
 * vitest on the real suite files in a child process and reads its JSON report.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const vitest = join(packageDir, 'node_modules', 'vitest', 'vitest.mjs');
const suites = ['test/rust.test.ts', 'test/conformance.test.ts', 'test/vector-index.test.ts'];
/** A child vitest run on a loaded 2-core machine can take far longer than the default test timeout. */
const CHILD_RUN = { timeout: 300_000 };
const scratch: string[] = [];
let copy: string;

beforeAll(() => {
  // The package's sources, suites and vitest config, copied to a directory that holds no `.node` file
  // (the addon is looked up next to `src/`), sharing the package's installed dependencies.
  copy = temporaryDirectory('vector-nif-copy-');
  for (const part of ['src', 'test/helpers', ...suites, 'package.json', 'vitest.config.ts']) {
    cpSync(join(packageDir, part), join(copy, part), { recursive: true });
  }
  symlinkSync(join(packageDir, 'node_modules'), join(copy, 'node_modules'), 'dir');
});

afterAll(() => {
  for (const directory of scratch) rmSync(directory, { recursive: true, force: true });
});

function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(directory);
  return directory;
}

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message: string;
    assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }>;
  }>;
}

/** Runs `vitest run <files>` in the copy with `environment` (an `undefined` value removes the variable). */
function runSuites(files: string[], environment: Record<string, string | undefined>) {
  // The shared vitest preset writes this JSON report on every run.
  const reportFile = join(copy, '.vitest-report.json');
  rmSync(reportFile, { force: true });
  const merged: Record<string, string | undefined> = { ...process.env, ...environment };
  // This file itself runs under vitest: its worker variables must not leak into the child run.
  const env = Object.fromEntries(
    Object.entries(merged).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('VITEST'),
    ),
  );
  const result = spawnSync(process.execPath, [vitest, 'run', ...files], {
    cwd: copy,
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const statuses = new Map<string, string>();
  for (const file of report.testResults) {
    for (const test of file.assertionResults) {
      statuses.set([...test.ancestorTitles, test.title].join(' > '), test.status);
    }
  }
  return { exitCode: result.status, output: `${result.stdout}\n${result.stderr}`, report, statuses };
}

/** The statuses of the tests whose full name starts with `prefix`. */
function statusesUnder(statuses: Map<string, string>, prefix: string): string[] {
  return [...statuses].filter(([name]) => name.startsWith(prefix)).map(([, status]) => status);
}

describe.skipIf(process.platform === 'win32')(
  'the Rust checks on a machine with cargo but no rustfmt or clippy',
  () => {
    it(
      'should report the fmt and clippy checks as skipped, not passed (the bug: they returned early and passed)',
      CHILD_RUN,
      () => {
        // A stand-in cargo that has no fmt or clippy subcommand, as a toolchain installed without those
        // components answers, and passes `cargo test`.
        const bin = temporaryDirectory('vector-nif-cargo-');
        writeFileSync(
          join(bin, 'cargo'),
          `#!${process.execPath}
const [command] = process.argv.slice(2);
if (command === '--version') console.log('cargo 0.0.0 (stand-in without rustfmt and clippy)');
else if (command === 'test') console.log('test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out');
else { console.error('error: no such command: \`' + command + '\`'); process.exitCode = 101; }
`,
          { mode: 0o755 },
        );
        const run = runSuites(['test/rust.test.ts'], { PATH: `${bin}:${process.env.PATH ?? ''}` });
        expect(run.exitCode, run.output.slice(-3000)).toBe(0);
        expect(run.statuses.get('Rust style gates > should be formatted (cargo fmt --check)')).toBe(
          'skipped',
        );
        expect(run.statuses.get('Rust style gates > should pass clippy with -D warnings')).toBe('skipped');
        expect(statusesUnder(run.statuses, 'Rust unit tests (cargo test)')).toEqual(['passed', 'passed']);
      },
    );
  },
);

describe('the conformance suites without the native addon', () => {
  const conformance = ['test/conformance.test.ts', 'test/vector-index.test.ts'];

  it(
    'should run the JS half and report the native half as skipped (the bug: the files failed at import)',
    CHILD_RUN,
    () => {
      const run = runSuites(conformance, { MIMO_VECTOR_BACKEND: undefined });
      expect(run.exitCode, run.output.slice(-3000)).toBe(0);
      const js = [
        ...statusesUnder(run.statuses, 'kernel conformance: js backend'),
        ...statusesUnder(run.statuses, 'VectorIndex on the js backend'),
      ];
      expect(js.length).toBeGreaterThanOrEqual(10);
      expect(new Set(js)).toEqual(new Set(['passed']));
      const native = [
        ...statusesUnder(run.statuses, 'kernel conformance: native backend'),
        ...statusesUnder(run.statuses, 'cross-backend identity'),
        ...statusesUnder(run.statuses, 'native addon called directly'),
        ...statusesUnder(run.statuses, 'VectorIndex on the native backend'),
        run.statuses.get(
          'VectorIndex across backends > should rank identically on the native and JS backends',
        ),
      ];
      expect(native.length).toBeGreaterThanOrEqual(10);
      expect(new Set(native)).toEqual(new Set(['skipped']));
      expect(run.report.numFailedTests).toBe(0);
    },
  );

  it(
    'should fail, not skip, where MIMO_VECTOR_BACKEND=native requires the addon (as in CI)',
    CHILD_RUN,
    () => {
      const run = runSuites(conformance, { MIMO_VECTOR_BACKEND: 'native' });
      expect(run.exitCode).not.toBe(0);
      expect(run.report.testResults).toHaveLength(2);
      for (const file of run.report.testResults) {
        expect(file.status, file.name).toBe('failed');
        expect(file.message).toMatch(/MIMO_VECTOR_BACKEND=native, but no usable native addon/);
      }
      expect(run.report.numPassedTests).toBe(0);
    },
  );
});
