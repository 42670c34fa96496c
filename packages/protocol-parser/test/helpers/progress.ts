import type { Client } from '@modelcontextprotocol/client';
import { expect } from 'vitest';

/**
 * Calls a fixture's `slow` tool with `hold`, checks that its progress 1, 2, 3 arrives, then calls `release`
 * so the tool returns. The SDK v2 client drops progress it handles after the result (on a busy machine it
 * may read them in one chunk), so the result must not be sent before the test has seen the progress.
 */
export async function callSlowSeeingProgress(client: Client): ReturnType<Client['callTool']> {
  const progress: number[] = [];
  const slow = client.callTool(
    { name: 'slow', arguments: { hold: true } },
    { onprogress: ({ progress: p }) => progress.push(p) },
  );
  await expect.poll(() => progress, { timeout: 10_000 }).toEqual([1, 2, 3]);
  await client.callTool({ name: 'release', arguments: {} });
  return slow;
}
