import { setTimeout as delay } from 'node:timers/promises';
import { isAlive, waitFor } from '@mimo-mcp/internal-testing/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { EVERYTHING, fixture, gateway, runCleanups, text } from './helpers.js';

afterEach(runCleanups);

describe('gateway recovery after a crash', () => {
  it('should serve every call arriving before, during and after the restart of a SIGKILLed skill (bug: a second client on the new child killed it)', async () => {
    const g = await gateway({
      mcpServers: {
        everything: {
          command: process.execPath,
          args: [EVERYTHING, 'stdio'],
          startup: 'eager',
          restart: { initialDelayMs: 200 },
        },
      },
    });
    await g.start();
    const first = g.skills()[0]?.pid as number;
    expect(isAlive(first)).toBe(true);

    // Each call's outcome, as a value (so that no rejection goes unhandled while the loop runs).
    const calls: Array<Promise<{ text?: string | undefined; error?: string }>> = [];
    let settled = 0;
    let running = true;
    const caller = (async () => {
      for (let i = 0; running; i++) {
        calls.push(
          g
            .callTool('everything__echo', { message: `m${i}` }, { timeoutMs: 30_000 })
            .then(
              (result) => ({ text: text(result) }),
              (error: unknown) => ({ error: `m${i}: ${String(error)}` }),
            )
            .finally(() => {
              settled++;
            }),
        );
        await delay(10);
      }
    })();
    expect(await waitFor(() => settled >= 10, { timeoutMs: 10_000 })).toBeTruthy();
    process.kill(first, 'SIGKILL');
    expect(
      await waitFor(
        () => {
          const status = g.skills()[0];
          return status?.health === 'ready' && status.pid !== undefined && status.pid !== first;
        },
        { timeoutMs: 20_000 },
      ),
    ).toBeTruthy();
    const second = g.skills()[0]?.pid as number;
    // Calls keep arriving after the restart too.
    const after = settled;
    expect(await waitFor(() => settled >= after + 30, { timeoutMs: 20_000 })).toBeTruthy();
    running = false;
    await caller;
    const results = await Promise.all(calls);
    expect(results.filter((result) => result.error)).toEqual([]);
    expect(results.map((result) => result.text)).toEqual(
      calls.map((_, i) => expect.stringContaining(`m${i}`)),
    );
    expect(isAlive(second)).toBe(true);
    expect(g.skills()[0]).toMatchObject({
      pid: second,
      health: 'ready',
      restarts: 1,
      breaker: { state: 'closed' },
    });
  }, 60_000);

  it('should answer a skills restart only once the skill serves: the next call succeeds (bug: the restarted child was killed)', async () => {
    const g = await gateway({
      mcpServers: {
        raw: {
          command: process.execPath,
          args: [fixture('raw-server.mjs')],
          startup: 'eager',
          restart: { initialDelayMs: 50 },
        },
      },
    });
    await g.start();
    // One crash first: from then on every spawn reports restarts > 0.
    await g.callTool('raw__crash').catch(() => {});
    expect(await waitFor(() => g.skills()[0]?.health === 'ready', { timeoutMs: 10_000 })).toBeTruthy();
    for (let round = 0; round < 3; round++) {
      await g.restartSkill('raw');
      const pid = g.skills()[0]?.pid as number;
      expect(text(await g.callTool('raw__echo', { message: `round ${round}` }))).toBe(`round ${round}`);
      expect(text(await g.callTool('raw__echo', { message: 'again' }))).toBe('again');
      expect(isAlive(pid)).toBe(true);
      expect(g.skills()[0]).toMatchObject({ pid, health: 'ready', breaker: { state: 'closed' } });
    }
  }, 60_000);
});
