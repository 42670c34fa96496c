// Sums the vitest JSON reports of every workspace package and prints "N passed, N failed" as the last
// line. A package that has a test script but no report (its build or its test run crashed) counts as one
// failure, so a broken package can never look green. Exits 1 if anything failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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
    lines.push(`${manifest.name}: ${packagePassed} passed, ${packageFailed} failed`);
  }
}
for (const line of lines) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
