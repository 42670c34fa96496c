import { defineConfig } from 'tsup';

export default defineConfig({
  // The writer thread is its own entry: the driver starts it as `new URL('./writer-thread.js', import.meta.url)`.
  entry: { index: 'src/index.ts', 'writer-thread': 'src/driver/sqlite/writer-thread.js' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
