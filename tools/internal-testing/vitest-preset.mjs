/**
 * The vitest settings every Mimo package shares.
 *
 * @param {{ include?: string[], testTimeout?: number, hookTimeout?: number, pool?: string, fileParallelism?: boolean, env?: Record<string, string> }} [options]
 */
export function mimoVitestConfig(options = {}) {
  // The JSON report is always written (it is git-ignored and cached by turbo with the test task), so that
  // `.ci/run` can sum passed and failed tests over all packages even when turbo replays a cached run.
  const reporters = ['default', ['json', { outputFile: '.vitest-report.json' }]];
  const coverage = process.env.MIMO_COVERAGE === '1';
  return {
    test: {
      include: options.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      reporters,
      // Generous: a timeout only says how long a hang takes to be reported, and a loaded 2-core machine
      // (several builds at once) took over 30 s for a publint check.
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: options.hookTimeout ?? 60_000,
      pool: options.pool ?? 'forks',
      fileParallelism: options.fileParallelism ?? true,
      env: options.env ?? {},
      // Line coverage of each package's own source (not tests, benchmarks or fixtures), read by .ci/run.
      coverage: {
        enabled: coverage,
        provider: 'v8',
        include: ['src/**/*.{ts,js,mjs}'],
        exclude: ['src/**/*.test.ts', 'src/**/*.d.ts'],
        reporter: ['text-summary', 'json-summary'],
        reportsDirectory: 'coverage',
      },
    },
  };
}
