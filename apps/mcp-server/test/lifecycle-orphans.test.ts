import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { processesMatching, waitFor } from '@mimo-mcp/internal-testing/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { EVERYTHING, INITIALIZE_REQUEST, raw, sandbox, text } from './helpers.js';

const WRAP = fileURLToPath(new URL('./fixtures/wrap-skill.mjs', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('mimo SIGKILLed with skills running', () => {
  it('should leave no skill, grandchild or lingering process behind, without a restart (bug: 3 of 7 survived until the next start)', async () => {
    const mark = `mimo-orphans-${randomUUID()}`;
    // One skill that ignores stdin EOF, one that behaves; each with a grandchild that ignores EOF and SIGTERM.
    const box = sandbox({
      mcpServers: {
        lingering: {
          command: process.execPath,
          args: [WRAP, '--linger', `--grandchild=${mark}`, EVERYTHING, 'stdio'],
          startup: 'eager',
        },
        polite: {
          command: process.execPath,
          args: [WRAP, `--grandchild=${mark}`, EVERYTHING, 'stdio'],
          startup: 'eager',
        },
      },
    });
    const session = raw(box.env, { tee: false });
    children.push(session.child);
    session.send(JSON.stringify(INITIALIZE_REQUEST));
    await session.answer(1);
    session.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    // Both skills serve (their processes and grandchildren all run).
    let id = 100;
    await waitFor(
      async () => {
        const request = id++;
        session.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: request,
            method: 'tools/call',
            params: { name: 'skills_status', arguments: {} },
          }),
        );
        const status = JSON.parse(text((await session.answer(request)).result)) as {
          skills: Array<{ health: string }>;
        };
        return status.skills.filter((skill) => skill.health === 'ready').length === 2;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await waitFor(() => processesMatching(mark).length === 4, { timeoutMs: 10_000 });
    // The two skill wrappers and the two grandchildren carry the marker.
    expect(processesMatching(mark)).toHaveLength(4);

    session.child.kill('SIGKILL');
    await new Promise((resolve) => session.child.once('exit', resolve));
    // Nothing restarts mimo: its watchdog alone must stop every group (SIGTERM, 1 s, SIGKILL).
    await waitFor(() => processesMatching(mark).length === 0, { timeoutMs: 15_000 });
    expect(processesMatching(mark)).toEqual([]);
  }, 60_000);
});
