import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

/** Returns the file an `exports` entry resolves to for `import`, or undefined for non-JS entries. */
function importTarget(entry) {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object') {
    for (const key of ['import', 'default']) {
      const target = importTarget(entry[key]);
      if (target) return target;
    }
  }
  return undefined;
}

/**
 * Checks a package the way a consumer sees it: publint finds no error or warning, and every `exports`
 * entry imports from the built `dist`.
 *
 * @param {string} packageDir absolute path of the package
 */
export async function checkPackage(packageDir) {
  const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
  // npm is always present (pnpm may not be on PATH when vitest runs directly); it packs the same files.
  const { messages } = await publint({ pkgDir: packageDir, level: 'warning', strict: true, pack: 'npm' });
  const problems = messages.map(
    (message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`,
  );
  const modules = {};
  for (const [subpath, entry] of Object.entries(pkg.exports ?? {})) {
    if (subpath === './package.json') continue;
    const target = importTarget(entry);
    if (!target || !/\.(c|m)?js$/.test(target)) continue;
    modules[subpath] = await import(pathToFileURL(join(packageDir, target)).href);
  }
  return { name: pkg.name, problems, modules };
}
