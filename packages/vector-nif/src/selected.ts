import { type BackendInfo, loadNative, resolveBackend } from './backend.js';
import { VectorError } from './errors.js';
import { jsBackend } from './js-backend.js';
import { Kernels } from './kernels.js';

let selected: { info: BackendInfo; kernels: Kernels } | undefined;

/** The backend chosen for this process (resolved once, on first use). */
export function selectedBackend(): { info: BackendInfo; kernels: Kernels } {
  if (!selected) {
    const { info, raw } = resolveBackend();
    selected = { info, kernels: new Kernels(info.name, raw) };
  }
  return selected;
}

let nativeKernels: Kernels | undefined;
const javascriptKernels = new Kernels('js', jsBackend);

/**
 * The kernels of one specific backend, whatever `MIMO_VECTOR_BACKEND` says: for benchmarks, conformance
 * tests, and callers that want to compare.
 *
 * @throws {VectorError} `NATIVE_UNAVAILABLE` (naming why) when asking for `native` and the addon cannot load.
 * @example
 * const js = getKernels('js');
 * js.dot(a, b);
 */
export function getKernels(name: 'native' | 'js'): Kernels {
  if (name === 'js') return javascriptKernels;
  if (name !== 'native')
    throw new VectorError('INVALID_ARGUMENT', `backend must be "native" or "js", got ${String(name)}`);
  if (!nativeKernels) {
    const loaded = loadNative();
    if (!('backend' in loaded)) throw new VectorError('NATIVE_UNAVAILABLE', loaded.error);
    nativeKernels = new Kernels('native', loaded.backend);
  }
  return nativeKernels;
}
