import { defineConfig, type Options } from 'tsup';

/**
 * The build every published library shares: ESM with type declarations and source maps, for Node 20.
 * A package's `tsup.config.ts` passes only what differs (more entries, a narrower `dts`).
 */
export function libraryConfig(overrides: Options = {}): ReturnType<typeof defineConfig> {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...overrides,
  });
}
