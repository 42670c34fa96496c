import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { descendantsOf, isAlive, processesMatching, waitFor } from '@mimo-mcp/internal-testing/processes';
import { createProcessManager } from '@mimo-mcp/process-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ClientError,
  createSkillGateway,
  EXPOSED_NAME_PATTERN,
  type GatewayConfig,
  type SkillGatewayEvents,
} from '../src/index.js';
import {
  defer,
  EVERYTHING,
  failure,
  fixture,
  gateway,
  MEMORY,
  marker,
  raw,
  runCleanups,
  tempDir,
  text,
} from './helpers.js';

afterEach(runCleanups);

/** Live skill processes (raw-server) carrying `mark`, from /proc. */
const alive = (mark: string) =>
  processesMatching(mark).filter((p) => p.cmdline.includes('raw-server')).length;

describe('gateway over the official servers', () => {
  it('should expose every skill tool as <skill>__<tool>, valid and resolvable, and route calls', async () => {
    const memoryFile = join(tempDir(), 'memory.jsonl');
    const g = await gateway({
      mcpServers: {
        everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
        memory: { command: process.execPath, args: [MEMORY], env: { MEMORY_FILE_PATH: memoryFile } },
        raw: raw(),
      },
    });
    await g.start();
    const tools = g.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['everything__echo', 'memory__create_entities', 'raw__echo']),
    );
    expect(names.every((name) => EXPOSED_NAME_PATTERN.test(name))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    const odd = tools.find((tool) => g.resolveTool(tool.name)?.tool === 'tool.with/odd:chars');
    expect(odd?.name).toMatch(/^raw__tool_with_odd_chars_[0-9a-f]{8}$/);
    expect(text(await g.callTool(odd?.name as string))).toBe('called tool.with/odd:chars');
    expect(text(await g.callTool('everything__echo', { message: 'via gateway' }))).toContain('via gateway');
    await g.callTool('memory__create_entities', {
      entities: [{ name: 'gw', entityType: 't', observations: ['o'] }],
    });
    expect(JSON.stringify(await g.callTool('memory__read_graph'))).toContain('gw');
    expect((await failure(() => g.callTool('nope__nothing'))).code).toBe('UNKNOWN_NAME');
    // Lazy skills were started to learn their catalogs, then stopped again.
    expect(g.skills().map((skill) => skill.health)).toEqual(['ready', 'ready', 'ready']);
  });

  it('should forward progress and cancellation through the gateway', async () => {
    const g = await gateway({
      mcpServers: { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } },
    });
    await g.start();
    const progress: number[] = [];
    await g.callTool(
      'everything__trigger-long-running-operation',
      { duration: 0.3, steps: 3 },
      { onProgress: ({ progress: p }) => progress.push(p) },
    );
    expect(progress).toEqual([1, 2, 3]);
    const controller = new AbortController();
    const call = g.callTool(
      'everything__trigger-long-running-operation',
      { duration: 20, steps: 20 },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 150);
    expect((await failure(() => call)).code).toBe('ABORTED');
    expect(text(await g.callTool('everything__echo', { message: 'after cancel' }))).toContain('after cancel');
  });
});

describe('gateway supervision', () => {
  it('should start a lazy skill on its first call, once, even for concurrent callers', async () => {
    const mark = marker();
    const g = await gateway({ mcpServers: { lazy: raw(`--marker=${mark}`) } });
    await g.start();
    expect(alive(mark)).toBe(0);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => g.callTool('lazy__echo', { message: `m${i}` })),
    );
    expect(results.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(alive(mark)).toBe(1);
  });

  it('should survive a skill that crashes on a call: the caller gets an error, the skill restarts', async () => {
    const g = await gateway({ mcpServers: { fragile: raw() } });
    await g.start();
    const error = await failure(() => g.callTool('fragile__crash'));
    expect(['NOT_CONNECTED', 'SKILL_UNAVAILABLE']).toContain(error.code);
    await waitFor(() => g.skills()[0]?.health === 'ready', { timeoutMs: 10_000 });
    expect(g.skills()[0]?.restarts).toBe(1);
    expect(text(await g.callTool('fragile__echo', { message: 'back' }))).toBe('back');
  });

  it('should time out a hanging skill and open its circuit after repeated failures', async () => {
    const g = await gateway(
      { mcpServers: { stuck: { ...raw(), timeoutMs: 150 } } },
      { defaults: { breakerThreshold: 3 } },
    );
    await g.start();
    for (let i = 0; i < 3; i++) expect((await failure(() => g.callTool('stuck__hang'))).code).toBe('TIMEOUT');
    expect(g.skills()[0]?.health).toBe('circuit-open');
    const refused = await failure(() => g.callTool('stuck__echo', { message: 'x' }));
    expect(refused.code).toBe('SKILL_UNAVAILABLE');
    // Refused by the breaker, not timed out by the hanging skill (that would be TIMEOUT, after 150 ms).
    expect(refused.message).toMatch(/circuit is open/);
  });

  it('should reject an unknown option, and an unknown default, with a message naming it (bug: ignored in silence)', async () => {
    await expect(gateway({ mcpServers: {} }, { procesManager: undefined } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/createSkillGateway: unknown option "procesManager"/),
    });
    await expect(gateway({ mcpServers: {} }, { defaults: { timeoutMS: 5 } as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/unknown option "timeoutMS" \(did you mean "timeoutMs"\?\)/),
    });
  });

  it('should give a call one deadline, not two racing timers (bug: the skill’s timeout policy and the client request timeout both ran)', async () => {
    const g = await gateway({ mcpServers: { stuck: raw() } });
    await g.start();
    // A distinctive timeout, so the call's own timers can be told from every other timer in the process.
    const timeoutMs = 1_237;
    // The library's timers are unref()'d, which process.getActiveResourcesInfo() does not list: count the
    // timers armed with the call's timeout instead (the spy calls through; nothing is faked).
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      expect((await failure(() => g.callTool('stuck__hang', {}, { timeoutMs }))).code).toBe('TIMEOUT');
      expect(spy.mock.calls.filter(([, delay]) => delay === timeoutMs)).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('should report crash-loop for a skill that dies at start, and keep serving the others', async () => {
    const g = await gateway({
      mcpServers: {
        doomed: {
          ...raw('--exit-immediately'),
          restart: { initialDelayMs: 50, maxDelayMs: 200, maxCrashes: 4 },
        },
        fine: raw(),
      },
    });
    await g.start();
    await waitFor(() => g.skills().find((s) => s.name === 'doomed')?.health === 'crash-loop', {
      timeoutMs: 10_000,
    });
    expect(g.skills().find((s) => s.name === 'doomed')?.restarts).toBe(3);
    // Its tools were never listed, but the name is its: the call says why it cannot run.
    const refused = await failure(() => g.callTool('doomed__echo'));
    expect(refused.code).toBe('SKILL_UNAVAILABLE');
    expect(refused.message).toMatch(/crash/);
    expect((await failure(() => g.callTool('nobody__echo'))).code).toBe('UNKNOWN_NAME');
    expect(text(await g.callTool('fine__echo', { message: 'ok' }))).toBe('ok');
  });

  it('should connect to a legacy server that exits on the server/discover probe, without counting a crash', async () => {
    const g = await gateway({ mcpServers: { old: raw('--exit-on-unknown') } });
    await g.start();
    expect(text(await g.callTool('old__echo', { message: 'legacy' }))).toBe('legacy');
    expect(g.skills()[0]).toMatchObject({ health: 'ready', restarts: 0, protocol: { era: 'legacy' } });
  });

  it('should retry a read-only tool after a server error, but never a tool that may write', async () => {
    const g = await gateway({ mcpServers: { flaky: raw() } });
    await g.start();
    expect(text(await g.callTool('flaky__flaky_read'))).toBe('flaky_read ok on call 2');
    expect((await failure(() => g.callTool('flaky__flaky_write'))).code).toBe('REMOTE_ERROR');
    const calls = (await g.callTool('flaky__calls')).structuredContent as Record<string, number>;
    expect(calls).toMatchObject({ flaky_read: 2, flaky_write: 1 });
  });

  it('should stay healthy through stderr floods and garbage on stdout', async () => {
    const g = await gateway({ mcpServers: { noisy: raw() } });
    await g.start();
    expect(text(await g.callTool('noisy__stderr_flood', { mib: 16 }))).toBe('flooded');
    expect(text(await g.callTool('noisy__stdout_garbage'))).toBe('after garbage');
    expect(text(await g.callTool('noisy__echo', { message: 'fine' }))).toBe('fine');
    expect(g.skills()[0]?.health).toBe('ready');
  });

  it('should refresh its tools after a list_changed and tell its own callers once', async () => {
    const g = await gateway({ mcpServers: { growing: { ...raw(), startup: 'eager' } } });
    await g.start();
    const events: Array<SkillGatewayEvents['tools-changed']> = [];
    g.on('tools-changed', (event) => events.push(event));
    await g.callTool('growing__add_tool', { name: 'brand_new' });
    await waitFor(() => g.resolveTool('growing__brand_new') !== undefined, { timeoutMs: 5000 });
    expect(events).toEqual([{ reason: 'skill-catalog', skills: ['growing'] }]);
  });
});

describe('gateway processes', () => {
  it.each([
    ['a skill that ignores SIGTERM and stdin EOF', () => raw('--ignore-term')],
    [
      'a skill behind sh with a grandchild (the npx shape)',
      () => ({
        command: 'sh',
        // A background job's stdin is /dev/null in sh, so the pipe is kept on fd 3 for it.
        args: ['-c', `exec 3<&0; "${process.execPath}" "${fixture('raw-server.mjs')}" <&3 3<&- & wait`],
      }),
    ],
  ])('should leave no descendant alive after closing with %s', async (_name, spec) => {
    const manager = createProcessManager({
      sampleIntervalMs: 0,
      allowedCommands: ['node', 'sh'],
      stop: { stdinGraceMs: 200, termGraceMs: 300 },
    });
    defer(() => manager.close());
    const g = await gateway(
      { mcpServers: { target: { ...spec(), startup: 'eager' } } },
      { processManager: manager },
    );
    await g.start();
    expect(text(await g.callTool('target__echo', { message: 'alive' }))).toBe('alive');
    const pid = g.skills()[0]?.pid as number;
    const tree = [pid, ...descendantsOf(pid).map((p) => p.pid)];
    expect(tree.length).toBeGreaterThanOrEqual(1);
    await g.close();
    expect(tree.filter(isAlive)).toEqual([]);
  });

  it('should leave no orphans when the process running it is SIGKILLed, after the next start', async () => {
    const stateDir = tempDir();
    const mark = marker();
    const owner = spawn(process.execPath, [fixture('gateway-owner.mjs'), stateDir, mark], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    owner.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    await waitFor(() => output.includes('\n'), { timeoutMs: 20_000 });
    expect(alive(mark)).toBe(5);
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.on('exit', resolve));
    // These skills ignore stdin EOF and SIGTERM: they outlive the gateway.
    expect(alive(mark)).toBe(5);
    const next = await gateway(
      { mcpServers: {} },
      { processManagerOptions: { stateDir, sampleIntervalMs: 0 } },
    );
    await next.start();
    await waitFor(() => alive(mark) === 0, { timeoutMs: 5000 });
    expect(alive(mark)).toBe(0);
  }, 30_000);
});

describe('gateway configuration', () => {
  it('should refuse invalid configurations, naming the skill and the field', async () => {
    const typo = await failure(() =>
      createSkillGateway({ config: { mcpServers: { a: { command: 'node', argz: [] } } } as never }),
    );
    expect(typo.code).toBe('INVALID_CONFIG');
    expect(typo.message).toContain('mcpServers.a');
    const name = await failure(() =>
      createSkillGateway({ config: { mcpServers: { 'bad name': { command: 'node' } } } }),
    );
    expect(name.message).toContain('skill name');
  });

  it('should accept the VS Code shape and HTTP skills', async () => {
    const g = await gateway({
      servers: { web: { type: 'http', url: 'http://127.0.0.1:9/mcp' } },
    } as GatewayConfig);
    expect(g.skills().map((s) => [s.name, s.transport])).toEqual([['web', 'http']]);
  });

  it('should hot-reload a changed file: only the affected skills restart, one tools-changed per reload', async () => {
    const dir = tempDir();
    const path = join(dir, 'mcp.json');
    const write = (config: GatewayConfig) => writeFileSync(path, JSON.stringify(config));
    const base = {
      keep: { ...raw('--marker=keep'), startup: 'eager' as const },
      change: { ...raw('--marker=change-1'), startup: 'eager' as const },
      drop: { ...raw(), startup: 'eager' as const },
    };
    write({ mcpServers: base });
    const g = await gateway(path);
    await g.start();
    const pid = (name: string) => g.skills().find((s) => s.name === name)?.pid;
    const keepPid = pid('keep');
    const changePid = pid('change');
    const events: Array<SkillGatewayEvents['tools-changed']> = [];
    const reloads: Array<SkillGatewayEvents['config-reloaded']> = [];
    g.on('tools-changed', (event) => events.push(event));
    g.on('config-reloaded', (event) => reloads.push(event));
    write({
      mcpServers: {
        keep: base.keep,
        change: { ...raw('--marker=change-2'), startup: 'eager' },
        added: raw(),
      },
    });
    await waitFor(() => reloads.length > 0, { timeoutMs: 10_000 });
    expect(reloads[0]).toMatchObject({
      added: ['added'],
      removed: ['drop'],
      restarted: ['change'],
      unchanged: ['keep'],
    });
    expect(events).toEqual([{ reason: 'reload', skills: ['added', 'change', 'drop'] }]);
    expect(pid('keep')).toBe(keepPid);
    expect(pid('change')).not.toBe(changePid);
    expect(isAlive(changePid as number)).toBe(false);
    // A broken file is reported and changes nothing.
    const invalid: ClientError[] = [];
    g.on('config-invalid', ({ error }) => invalid.push(error));
    writeFileSync(path, '{ "mcpServers": { "x": ');
    await waitFor(() => invalid.length > 0, { timeoutMs: 10_000 });
    expect(invalid[0]?.code).toBe('INVALID_CONFIG');
    expect(g.skills().map((s) => s.name)).toEqual(['added', 'change', 'keep']);
  });
});
