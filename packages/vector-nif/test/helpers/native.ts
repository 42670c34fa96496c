import { loadNative } from '../../src/backend.js';

/**
 * Whether the native half of a suite is skipped. Without a loadable addon (not built, or built for another
 * platform) the JS half still runs and the native half reports "skipped", never "passed". Where
 * `MIMO_VECTOR_BACKEND=native` requires the addon (CI sets it), the native half always runs, so a missing
 * or broken addon fails there with `NATIVE_UNAVAILABLE` instead of being skipped.
 */
export const skipNative = process.env.MIMO_VECTOR_BACKEND !== 'native' && !('backend' in loadNative());
