// Sums the vitest JSON reports of every workspace package and prints "N passed, N failed" as the last
// line. A package that has a test script but no report (its build or its test run crashed) counts as one
// failure, so a broken package can never look green. With MIMO_COVERAGE=1 each package's line coverage is
// printed and a library (packages/*) under MIN_LINE_COVERAGE counts as a failure. Every `--check <name>=<exit status>`
// argument (lint, typecheck, changesets) that is not 0 counts as one failure too. Exits 1 if anything failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MIN_LINE_COVERAGE = 80;
const coverageWanted = process.env.MIMO_COVERAGE === '1';

let passed = 0;
let failed = 0;
const lines = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(group).sort()) {
    const dir = join(group, name);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (!manifest.scripts?.test) continue;
    const reportPath = join(dir, '.vitest-report.json');
    if (!existsSync(reportPath)) {
      failed += 1;
      lines.push(`${manifest.name}: no test report (the build or the test run failed before reporting)`);
      continue;
    }
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    const packagePassed = report.numPassedTests ?? 0;
    // A suite that failed to load (syntax error, missing import) has no failed *tests*, so count it too.
    const failedSuites = (report.testResults ?? []).filter(
      (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).length === 0,
    ).length;
    const packageFailed = (report.numFailedTests ?? 0) + failedSuites;
    passed += packagePassed;
    failed += packageFailed;
    let coverage = '';
    if (coverageWanted) {
      const summaryPath = join(dir, 'coverage', 'coverage-summary.json');
      if (!existsSync(summaryPath)) {
        coverage = ', line coverage not measured';
      } else {
        const pct = JSON.parse(readFileSync(summaryPath, 'utf8')).total.lines.pct;
        coverage = `, line coverage ${pct}%`;
        if (group === 'apps') {
          // The app's tests run the built server in child processes, which vitest's coverage cannot see.
          coverage += ' (in the test process only; the server runs in child processes: not gated)';
        } else if (!(pct >= MIN_LINE_COVERAGE)) {
          failed += 1;
          coverage += ` (under ${MIN_LINE_COVERAGE}%: counted as a failure)`;
        }
      }
    }
    lines.push(`${manifest.name}: ${packagePassed} passed, ${packageFailed} failed${coverage}`);
  }
}
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '--check') continue;
  const [check, status] = String(args[++i]).split('=');
  if (status === '0') lines.push(`check ${check}: ok`);
  else {
    failed += 1;
    lines.push(`check ${check}: failed (exit ${status})`);
  }
}
for (const line of lines) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
