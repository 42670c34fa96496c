// Bundled by tsup (only `version` is kept), so the published files need no package.json at run time.
import { version } from '../package.json';

/** This package's version, sent by default in `clientInfo`. */
export const CLIENT_VERSION: string = version;
