import type { ChildProcess } from 'node:child_process';
import { openMemoryStore } from '@mimo-mcp/memory-store';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { INITIALIZE_REQUEST, type Message, raw, sandbox, serveHttp } from './helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

const ROUNDS = 5;
/** A kill lands somewhere in the first second of writing; each round writes until then. */
const killAfterMs = () => 150 + Math.floor(Math.random() * 850);
/**
 * The memory an answer acknowledges: its id, and the content it must hold. A near duplicate of an earlier
 * write is merged into it (`status: "merged"`, the earlier id), so only its id must be there; a created one
 * must hold exactly what was written.
 */
const acknowledgedBy = (result: unknown, content: string): [string, string | undefined] | undefined => {
  const stored = (result as { structuredContent?: { id?: string; status?: string } } | undefined)
    ?.structuredContent;
  if (!stored?.id) return undefined;
  return [stored.id, stored.status === 'created' ? content : undefined];
};

/** Every acknowledged id must be in the database, with its content where the write stored it. */
async function expectAllStored(db: string, acknowledged: Map<string, string | undefined>) {
  const store = await openMemoryStore({ path: db, namespace: 'test' });
  try {
    const found = await store.getMany([...acknowledged.keys()]);
    const byId = new Map(found.map((memory) => [memory.id, memory.content]));
    const lost = [...acknowledged].filter(
      ([id, content]) => !byId.has(id) || (content !== undefined && byId.get(id) !== content),
    );
    expect(lost).toEqual([]);
    expect(await store.integrityCheck()).toBe('ok');
  } finally {
    await store.close();
  }
}

describe('mimo SIGKILLed while writing', () => {
  it('should keep every acknowledged memory_store over stdio across SIGKILLs', async () => {
    const box = sandbox();
    const acknowledged = new Map<string, string | undefined>();
    for (let round = 0; round < ROUNDS; round++) {
      const session = raw(box.env, { tee: false });
      children.push(session.child);
      session.send(JSON.stringify(INITIALIZE_REQUEST));
      await session.answer(1);
      session.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      const contents = new Map<number, string>();
      let next = 1000;
      // Keep 8 writes in flight until the kill.
      const pump = setInterval(() => {
        const inFlight = [...contents.keys()].filter(
          (id) => !session.messages.some((m: Message) => m.id === id),
        ).length;
        for (let i = inFlight; i < 8; i++) {
          const id = next++;
          const content = `round ${round} write ${id}: the release train leaves at ${id % 24}:00`;
          contents.set(id, content);
          session.send(
            JSON.stringify({
              jsonrpc: '2.0',
              id,
              method: 'tools/call',
              params: { name: 'memory_store', arguments: { content } },
            }),
          );
        }
      }, 5);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs()));
      session.child.kill('SIGKILL');
      clearInterval(pump);
      await new Promise((resolve) => session.child.once('exit', resolve));
      for (const message of session.messages) {
        const content = typeof message.id === 'number' ? contents.get(message.id) : undefined;
        const entry = content ? acknowledgedBy(message.result, content) : undefined;
        if (entry && !acknowledged.has(entry[0])) acknowledged.set(...entry);
      }
    }
    expect(acknowledged.size).toBeGreaterThan(ROUNDS);
    await expectAllStored(box.db, acknowledged);
  }, 120_000);

  it('should keep every acknowledged memory_store over HTTP across SIGKILLs', async () => {
    const box = sandbox();
    const acknowledged = new Map<string, string | undefined>();
    for (let round = 0; round < ROUNDS; round++) {
      const { child, url } = await serveHttp({ box });
      children.push(child);
      const client = new Client({ name: 'durability', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      let killed = false;
      const writer = async (lane: number) => {
        for (let i = 0; !killed; i++) {
          const content = `round ${round} lane ${lane} write ${i}: the on-call rota changes on day ${i % 7}`;
          try {
            const result = await client.callTool({ name: 'memory_store', arguments: { content } });
            const entry = result.isError ? undefined : acknowledgedBy(result, content);
            if (entry && !acknowledged.has(entry[0])) acknowledged.set(...entry);
          } catch {
            return; // The connection died with the server.
          }
        }
      };
      const lanes = Promise.all([0, 1, 2, 3].map(writer));
      await new Promise((resolve) => setTimeout(resolve, killAfterMs()));
      killed = true;
      child.kill('SIGKILL');
      await lanes;
      await client.close().catch(() => {});
    }
    expect(acknowledged.size).toBeGreaterThan(ROUNDS);
    await expectAllStored(box.db, acknowledged);
  }, 120_000);
});
