declare const __MIMO_VERSION__: string | undefined;

/** The package version, inlined at build time (tsup `define`). */
export const VERSION: string = typeof __MIMO_VERSION__ === 'string' ? __MIMO_VERSION__ : '0.0.0-dev';
