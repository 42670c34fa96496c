// Fails when published code changed without a changeset: every package whose src/ changed since the last
// release (the last commit that touched a CHANGELOG.md, or the first commit before any release) must be
// named by at least one pending .changeset/*.md, and every changeset must name real packages.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();

const packages = new Map();
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(group)) {
    const manifest = join(group, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name: packageName, private: isPrivate } = JSON.parse(readFileSync(manifest, 'utf8'));
    if (!isPrivate) packages.set(packageName, join(group, name));
  }
}

const problems = [];
const named = new Set();
for (const file of readdirSync('.changeset').filter((name) => name.endsWith('.md') && name !== 'README.md')) {
  const text = readFileSync(join('.changeset', file), 'utf8');
  const front = /^---\n([\s\S]*?)\n---/.exec(text);
  if (!front) {
    problems.push(`.changeset/${file}: no frontmatter`);
    continue;
  }
  for (const line of front[1].split('\n').filter((entry) => entry.trim() !== '')) {
    const match = /^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
    if (!match) problems.push(`.changeset/${file}: cannot read ${JSON.stringify(line)}`);
    else if (!packages.has(match[1])) problems.push(`.changeset/${file}: no published package ${match[1]}`);
    else named.add(match[1]);
  }
}

const released = git('log', '-1', '--format=%H', '--', '**/CHANGELOG.md');
const base = released || git('rev-list', '--max-parents=0', 'HEAD').split('\n').pop();
const changed = git('diff', '--name-only', base, 'HEAD').split('\n');
for (const [packageName, dir] of packages) {
  const touched = changed.some((path) => path.startsWith(`${dir}/src/`));
  if (touched && !named.has(packageName)) {
    problems.push(`${packageName}: ${dir}/src changed since ${base.slice(0, 8)} but no changeset names it`);
  }
}
for (const problem of problems) console.error(`changesets: ${problem}`);
if (problems.length === 0) console.error(`changesets: ok (${named.size} packages with pending changesets)`);
process.exitCode = problems.length > 0 ? 1 : 0;
