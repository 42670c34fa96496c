import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { groupMembers, listProcesses, type ProcessEntry, readProcess, signalProcess } from './processes.js';

/** A process group this process started and has not yet seen end. */
export interface GroupRecord {
  pgid: number;
  /** Start time of the group leader (kernel clock ticks), to tell it from a later process with the same pid. */
  startTime: number | undefined;
  command: string;
  spawnedAt: number;
}

interface RegistryFile {
  version: 1;
  owner: { pid: number; startTime: number | undefined };
  groups: GroupRecord[];
}

/**
 * The live process groups of this process, kept in `<dir>/<pid>.json` (written atomically on every change),
 * so that after this process dies without cleaning up (SIGKILL, power cut) the next start can find and
 * stop what it left behind.
 */
export class GroupRegistry {
  readonly #file: string | undefined;
  readonly #groups = new Map<number, GroupRecord>();
  readonly #owner = { pid: process.pid, startTime: readProcess(process.pid)?.startTime };

  constructor(dir: string | undefined) {
    this.#file = dir === undefined ? undefined : join(dir, `${process.pid}.json`);
    if (dir !== undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  get groups(): GroupRecord[] {
    return [...this.#groups.values()];
  }

  add(record: GroupRecord): void {
    this.#groups.set(record.pgid, record);
    this.#write();
  }

  remove(pgid: number): void {
    if (this.#groups.delete(pgid)) this.#write();
  }

  /** Deletes this process's file (on a clean close). */
  clear(): void {
    this.#groups.clear();
    if (this.#file) rmSync(this.#file, { force: true });
  }

  #write(): void {
    if (!this.#file) return;
    if (this.#groups.size === 0) {
      rmSync(this.#file, { force: true });
      return;
    }
    const content: RegistryFile = { version: 1, owner: this.#owner, groups: this.groups };
    const temporary = `${this.#file}.tmp`;
    writeFileSync(temporary, JSON.stringify(content), { mode: 0o600 });
    renameSync(temporary, this.#file);
  }
}

function ownerAlive(owner: RegistryFile['owner']): boolean {
  if (owner.pid === process.pid) return false;
  const entry = readProcess(owner.pid);
  if (entry)
    return entry.state !== 'Z' && (owner.startTime === undefined || entry.startTime === owner.startTime);
  if (owner.startTime !== undefined) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Members of a recorded group that are certainly ours. A process group id cannot be reused while the group
 * has members, so members without a leader are ours; a live process with the leader's pid must also have
 * its start time, or the pid was reused and the group is someone else's.
 */
function survivors(all: readonly ProcessEntry[], record: GroupRecord): ProcessEntry[] {
  const leader = all.find((entry) => entry.pid === record.pgid);
  if (leader && record.startTime !== undefined && leader.startTime !== record.startTime) return [];
  if (leader && record.startTime === undefined && leader.state !== 'Z') return [];
  return groupMembers(all, record.pgid);
}

/**
 * Stops the process groups left by processes that died without cleaning up (their registry file names a
 * dead owner): SIGTERM, a grace period, SIGKILL. Files of live owners are left alone. Returns the pids
 * stopped.
 */
export async function reapLeftovers(dir: string, graceMs = 1000): Promise<number[]> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^\d+\.json$/.test(name));
  } catch {
    return [];
  }
  const orphans: GroupRecord[] = [];
  const files: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let content: RegistryFile;
    try {
      content = JSON.parse(readFileSync(file, 'utf8')) as RegistryFile;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (content.version !== 1 || ownerAlive(content.owner)) continue;
    orphans.push(...(Array.isArray(content.groups) ? content.groups : []));
    files.push(file);
  }
  const reaped: number[] = [];
  if (orphans.length > 0) {
    let all: ProcessEntry[] = [];
    const targets: ProcessEntry[] = [];
    // Two passes: a process caught mid-change by one /proc scan (unreadable for an instant) is seen by the next.
    for (let pass = 0; pass < 2; pass++) {
      all = await listProcesses();
      for (const entry of orphans.flatMap((record) => survivors(all, record))) {
        if (targets.some((target) => target.pid === entry.pid)) continue;
        targets.push(entry);
        if (signalProcess(entry.pid, 'SIGTERM')) reaped.push(entry.pid);
      }
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      all = await listProcesses();
      if (!targets.some((target) => all.some((entry) => entry.pid === target.pid && entry.state !== 'Z')))
        break;
      await delay(25);
    }
    for (const entry of targets) {
      // Only the same process: its pid may have been reused since.
      const now = readProcess(entry.pid);
      if (now === undefined ? entry.startTime === undefined : now.startTime === entry.startTime) {
        signalProcess(entry.pid, 'SIGKILL');
      }
    }
  }
  for (const file of files) rmSync(file, { force: true });
  return reaped;
}
