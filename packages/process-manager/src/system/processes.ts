import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** One process as the operating system reports it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** One-letter state (`R`, `S`, `Z` for a zombie, …) where known. */
  state: string;
  /** Start time in clock ticks since boot (Linux), or a comparable opaque number; `undefined` if unknown. */
  startTime: number | undefined;
  /** Resident memory in bytes, where known. */
  rssBytes: number | undefined;
  /** User + system CPU time in milliseconds, where known. */
  cpuMs: number | undefined;
}

/** Linux exposes clock ticks per second as `sysconf(_SC_CLK_TCK)`, 100 on every mainstream kernel. */
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export const hasProcFs = (() => {
  try {
    readFileSync('/proc/self/stat', 'utf8');
    return true;
  } catch {
    return false;
  }
})();

/** Parses `/proc/<pid>/stat` (the command name may itself contain spaces and parentheses). */
function readProcStat(pid: number): ProcessEntry | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field numbers from proc(5), minus the two before the command: state=3, ppid=4, pgrp=5, utime=14,
  // stime=15, starttime=22, rss=24 (pages).
  const at = (field: number) => Number(fields[field - 3]);
  return {
    pid,
    ppid: at(4),
    pgid: at(5),
    state: fields[0] ?? '?',
    startTime: at(22),
    rssBytes: at(24) * PAGE_BYTES,
    cpuMs: ((at(14) + at(15)) * 1000) / CLOCK_TICKS_PER_SECOND,
  };
}

function listProcFs(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const entry = readProcStat(Number(name));
    if (entry) out.push(entry);
  }
  return out;
}

/** `ps` output: `pid ppid pgid state rss(KiB) time`, for systems without `/proc`. */
function listPs(): Promise<ProcessEntry[]> {
  return new Promise((resolve) => {
    execFile(
      'ps',
      ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'pgid=', '-o', 'stat=', '-o', 'rss=', '-o', 'time='],
      { windowsHide: true, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        if (error) return resolve([]);
        const out: ProcessEntry[] = [];
        for (const line of stdout.split('\n')) {
          const [pid, ppid, pgid, state, rss, time] = line.trim().split(/\s+/);
          if (!pid || !time) continue;
          const parts = time.split(/[-:]/).map(Number).reverse();
          const seconds =
            (parts[0] ?? 0) + (parts[1] ?? 0) * 60 + (parts[2] ?? 0) * 3600 + (parts[3] ?? 0) * 86_400;
          out.push({
            pid: Number(pid),
            ppid: Number(ppid),
            pgid: Number(pgid),
            state: (state ?? '?').charAt(0),
            startTime: undefined,
            rssBytes: Number(rss) * 1024,
            cpuMs: seconds * 1000,
          });
        }
        resolve(out);
      },
    );
  });
}

/** Every process on the system (from `/proc` on Linux, `ps` elsewhere). Zombies included. */
export async function listProcesses(): Promise<ProcessEntry[]> {
  return hasProcFs ? listProcFs() : listPs();
}

/** Synchronous variant for exit handlers; empty where `/proc` is missing. */
export function listProcessesSync(): ProcessEntry[] {
  return hasProcFs ? listProcFs() : [];
}

/** One process, or `undefined` if it does not exist (Linux only; `undefined` elsewhere). */
export function readProcess(pid: number): ProcessEntry | undefined {
  return hasProcFs ? readProcStat(pid) : undefined;
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(all: readonly ProcessEntry[], pgid: number): ProcessEntry[] {
  return all.filter((entry) => entry.pgid === pgid && entry.state !== 'Z');
}

/** Live (non-zombie) descendants of `pid`, by parent links. */
export function descendants(all: readonly ProcessEntry[], pid: number): ProcessEntry[] {
  const byParent = new Map<number, ProcessEntry[]>();
  for (const entry of all) {
    if (entry.state === 'Z') continue;
    const siblings = byParent.get(entry.ppid) ?? [];
    siblings.push(entry);
    byParent.set(entry.ppid, siblings);
  }
  const out: ProcessEntry[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const child of byParent.get(stack.pop() as number) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}

/**
 * Whether any non-zombie process is left in group `pgid`. With `/proc` zombies are ignored (a container's
 * init may never reap them); elsewhere `kill(-pgid, 0)` answers.
 */
export function groupAlive(pgid: number): boolean {
  if (hasProcFs) return groupMembers(listProcFs(), pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to every process of group `pgid`; false if none was there. Never throws. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to one process; false if it was gone. Never throws. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
