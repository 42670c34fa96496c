import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export default defineConfig({
  entry: {
    cli: 'src/cli.ts',
    // memory-store starts its writer thread as `new URL('./writer-thread.js', import.meta.url)`: bundled here,
    // that is next to cli.js (without it the store quietly writes on its own connection, slower).
    'writer-thread': fileURLToPath(import.meta.resolve('@mimo-mcp/memory-store/writer-thread')),
  },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  // One file loads far faster than hundreds of ESM modules (zod alone is ~55 ms unbundled). Native addons
  // stay external: better-sqlite3, and vector-nif, which finds its .node file next to its own dist.
  noExternal: [/^@mimo-mcp\/(?!vector-nif)/, 'zod', 'prom-client'],
  external: ['better-sqlite3', '@mimo-mcp/vector-nif', 'pino', 'ws'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __mimoCreateRequire } from 'node:module';\nconst require = __mimoCreateRequire(import.meta.url);",
  },
  define: { __MIMO_VERSION__: JSON.stringify(version) },
});
