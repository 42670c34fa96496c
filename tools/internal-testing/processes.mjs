import { readdirSync, readFileSync } from 'node:fs';

/**
 * Reads every process from `/proc` (Linux): pid, parent pid, process group, state and command line.
 * Used by tests to check what is really alive, never trusting the code under test's own bookkeeping.
 */
export function listProcesses() {
  const result = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {}
      result.push({
        pid: Number(name),
        state: fields[0],
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        cmdline,
      });
    } catch {
      // The process exited while we were reading it.
    }
  }
  return result;
}

/** Every live (non-zombie) descendant of `pid`, found by walking parent links in `/proc`. */
export function descendantsOf(pid) {
  const all = listProcesses().filter((p) => p.state !== 'Z');
  const byParent = new Map();
  for (const p of all) {
    const list = byParent.get(p.ppid) ?? [];
    list.push(p);
    byParent.set(p.ppid, list);
  }
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop();
    for (const child of byParent.get(current) ?? []) {
      out.push(child);
      stack.push(child.pid);
    }
  }
  return out;
}

/** Live (non-zombie) processes whose command line contains `marker`. */
export function processesMatching(marker) {
  return listProcesses().filter(
    (p) => p.state !== 'Z' && p.cmdline.includes(marker) && p.pid !== process.pid,
  );
}

/** True when `pid` exists and is not a zombie. */
export function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `predicate` every `intervalMs` until it is true or `timeoutMs` passes; returns its last value. */
export async function waitFor(predicate, { timeoutMs = 10_000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
