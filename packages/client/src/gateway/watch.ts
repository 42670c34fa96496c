import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` after the configuration file at `path` changed: `debounceMs` after the last event of a
 * burst (editors write in several steps). It watches the directory, not the file, because editors often
 * replace the file (a new inode) instead of writing to it. Watching is a convenience: where the platform
 * cannot watch, nothing happens. The watcher never keeps the process alive.
 *
 * @example
 * const watcher = watchConfigFile('/etc/mimo/config.json', () => void reload());
 * watcher.close();
 */
export function watchConfigFile(
  path: string,
  onChange: () => void,
  options: {
    /** @default 150 */
    debounceMs?: number;
  } = {},
): { close(): void } {
  const file = basename(path);
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed !== file) return;
      clearTimeout(debounce);
      debounce = setTimeout(onChange, options.debounceMs ?? 150);
      debounce.unref();
    });
    // A watched directory that goes away reports an error; there is nothing left to watch.
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  return {
    close() {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}
