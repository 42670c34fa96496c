import { libraryConfig } from '../../tsup.base';

export default libraryConfig({
  // The writer thread is its own entry: the driver starts it as `new URL('./writer-thread.js', import.meta.url)`.
  entry: { index: 'src/index.ts', 'writer-thread': 'src/driver/sqlite/writer-thread.js' },
  dts: { entry: { index: 'src/index.ts' } },
});
