export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cmdline: string;
}
export function listProcesses(): ProcessInfo[];
export function descendantsOf(pid: number): ProcessInfo[];
export function processesMatching(marker: string): ProcessInfo[];
export function isAlive(pid: number): boolean;
export function waitFor<T>(
  predicate: () => T | Promise<T>,
  options?: { timeoutMs?: number; intervalMs?: number },
): Promise<T>;
