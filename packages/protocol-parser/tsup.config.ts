import { libraryConfig } from '../../tsup.base';

// The server and the Node HTTP handler are subpaths: a client-only user never loads them (or node:http).
export default libraryConfig({
  entry: { index: 'src/index.ts', server: 'src/server/index.ts', http: 'src/http/index.ts' },
});
