export interface MimoVitestOptions {
  include?: string[];
  testTimeout?: number;
  hookTimeout?: number;
  pool?: 'forks' | 'threads' | 'vmThreads';
  fileParallelism?: boolean;
  env?: Record<string, string>;
}
// biome-ignore lint/suspicious/noExplicitAny: handed straight to vitest's defineConfig
export function mimoVitestConfig(options?: MimoVitestOptions): any;
