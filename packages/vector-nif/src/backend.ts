import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { VectorError } from './errors.js';
import { jsBackend } from './js-backend.js';
import type { RawBackend } from './raw-backend.js';

/** Which implementation serves the kernels, and why. */
export interface BackendInfo {
  /** `"native"` (the Rust addon) or `"js"` (the pure-JS fallback). */
  readonly name: 'native' | 'js';
  /** Why this backend was chosen, in words. */
  readonly reason: string;
  /** SIMD level in use (`"avx2+fma"`, `"portable"`, …), or `"none (JavaScript)"`. */
  readonly simd: string;
  /** The addon file, when native. */
  readonly file: string | undefined;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Candidate addon file names for this platform, most specific first (napi-rs naming). */
export function nativeFileNames(): string[] {
  const { platform, arch } = process;
  const names: string[] = [];
  if (platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
      ?.header;
    const libc = header?.glibcVersionRuntime ? 'gnu' : 'musl';
    names.push(`vector-nif.linux-${arch}-${libc}.node`);
  } else if (platform === 'win32') {
    names.push(`vector-nif.win32-${arch}-msvc.node`);
  } else {
    names.push(`vector-nif.${platform}-${arch}.node`);
  }
  names.push('vector-nif.node');
  return names;
}

const REQUIRED_FUNCTIONS: ReadonlyArray<keyof RawBackend> = [
  'dot',
  'cosine',
  'squaredL2',
  'normalize',
  'normalizeRows',
  'scores',
  'topK',
  'topKAsync',
  'quantizeInt8',
  'quantizeBinary',
  'searchInt8',
  'searchInt8Async',
  'searchBinary',
  'searchBinaryAsync',
  'readBandwidth',
  'info',
];

/** Loads the native addon, or explains precisely why it cannot. */
export function loadNative(
  directory = packageRoot,
): { backend: RawBackend; file: string } | { error: string } {
  const require = createRequire(join(directory, 'package.json'));
  const tried: string[] = [];
  for (const name of nativeFileNames()) {
    const file = join(directory, name);
    if (!existsSync(file)) {
      tried.push(`${name} (not found)`);
      continue;
    }
    try {
      const module = require(file) as Partial<RawBackend>;
      const missing = REQUIRED_FUNCTIONS.filter((fn) => typeof module[fn] !== 'function');
      if (missing.length > 0) {
        tried.push(`${name} (outdated: lacks ${missing.join(', ')}; rebuild with \`pnpm build\`)`);
        continue;
      }
      return { backend: module as RawBackend, file };
    } catch (error) {
      tried.push(`${name} (failed to load: ${(error as Error).message})`);
    }
  }
  return {
    error: `no usable native addon for ${process.platform}-${process.arch} in ${directory}: tried ${tried.join('; ')}`,
  };
}

function describe(info: BackendInfo): BackendInfo {
  Object.defineProperty(info, inspect.custom, {
    value: () => `${info.name} (${info.reason}; simd: ${info.simd})`,
  });
  Object.defineProperty(info, 'toString', { value: () => info.name });
  return Object.freeze(info);
}

/**
 * Chooses the backend: `MIMO_VECTOR_BACKEND=js` forces the JS fallback, `=native` requires the addon (and
 * fails with `NATIVE_UNAVAILABLE` naming why if it cannot load), unset or `auto` prefers native and falls
 * back to JS with one process warning.
 */
export function resolveBackend(environment: string | undefined = process.env.MIMO_VECTOR_BACKEND): {
  info: BackendInfo;
  raw: RawBackend;
} {
  const choice = (environment ?? '').trim().toLowerCase();
  if (choice !== '' && choice !== 'auto' && choice !== 'js' && choice !== 'native') {
    throw new VectorError(
      'INVALID_ARGUMENT',
      `MIMO_VECTOR_BACKEND must be "native", "js" or "auto" (or unset), got ${JSON.stringify(environment)}`,
    );
  }
  if (choice === 'js') {
    return {
      raw: jsBackend,
      info: describe({
        name: 'js',
        reason: 'forced by MIMO_VECTOR_BACKEND=js',
        simd: jsBackend.info().simd,
        file: undefined,
      }),
    };
  }
  const loaded = loadNative();
  if ('backend' in loaded) {
    const simd = loaded.backend.info().simd;
    const reason = choice === 'native' ? 'forced by MIMO_VECTOR_BACKEND=native' : 'native addon loaded';
    return { raw: loaded.backend, info: describe({ name: 'native', reason, simd, file: loaded.file }) };
  }
  if (choice === 'native') {
    throw new VectorError('NATIVE_UNAVAILABLE', `MIMO_VECTOR_BACKEND=native, but ${loaded.error}`);
  }
  process.emitWarning(
    `@mimo-mcp/vector-nif: using the pure-JS fallback (slower): ${loaded.error}. Build the addon with cargo ` +
      '(`pnpm build`), or set MIMO_VECTOR_BACKEND=js to silence this warning.',
    { code: 'MIMO_VECTOR_JS_FALLBACK' },
  );
  return {
    raw: jsBackend,
    info: describe({
      name: 'js',
      reason: `native addon unavailable: ${loaded.error}`,
      simd: jsBackend.info().simd,
      file: undefined,
    }),
  };
}
