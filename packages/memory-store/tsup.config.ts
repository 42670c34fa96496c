import { libraryConfig } from '../../tsup.base';

export default libraryConfig({
  // The writer thread is its own entry: the driver starts it as `new URL('./writer-thread.js', import.meta.url)`,
  // and the `./writer-thread` export lets an app that bundles this package ship the file next to its bundle.
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/sqlite.ts',
    testing: 'src/testing/index.ts',
    'writer-thread': 'src/driver/sqlite/writer-thread.js',
  },
  dts: { entry: { index: 'src/index.ts', sqlite: 'src/sqlite.ts', testing: 'src/testing/index.ts' } },
});
