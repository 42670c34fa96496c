import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProcessManager } from '@mimo-mcp/process-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { defer, failure, gateway, raw, runCleanups, tempDir, text } from './helpers.js';

afterEach(runCleanups);

describe('gateway catalog cache', () => {
  it('should list a lazy skill from the persisted catalog without starting it, and start it on the first call (bug: every skill spawned at every start, its tools missing until then)', async () => {
    const dir = tempDir();
    const catalogCache = { path: join(dir, 'state', 'skills-catalog.json') };
    const starts = join(dir, 'starts');
    const started = () => (existsSync(starts) ? readFileSync(starts, 'utf8').trim().split('\n').length : 0);
    const config = { mcpServers: { lazy: raw(`--marker-file=${starts}`) } };

    // First run: nothing is cached, so start() discovers the skill (and stops it again), and persists it.
    const first = await gateway(config, { catalogCache });
    expect(first.listTools()).toEqual([]);
    await first.start();
    expect(first.listTools().map((tool) => tool.name)).toContain('lazy__echo');
    await first.close();
    expect(started()).toBe(1);
    const file = JSON.parse(readFileSync(catalogCache.path, 'utf8')) as {
      skills: Record<string, { tools: Array<{ name: string }> }>;
    };
    expect(file.skills.lazy?.tools.map((tool) => tool.name)).toContain('echo');

    // Second run: listed before anything is started; start() spawns nothing; the first call starts it.
    const manager = createProcessManager({ sampleIntervalMs: 0, allowedCommands: ['node'] });
    defer(() => manager.close());
    const spawns: number[] = [];
    manager.on('spawn', ({ pid }) => spawns.push(pid));
    const second = await gateway(config, { catalogCache, processManager: manager });
    expect(second.listTools().map((tool) => tool.name)).toEqual(first.listTools().map((tool) => tool.name));
    await second.start();
    expect(spawns).toEqual([]);
    expect(started()).toBe(1);
    expect(second.skills()[0]).toMatchObject({ health: 'stopped', tools: first.listTools().length });
    expect(text(await second.callTool('lazy__echo', { message: 'first call' }))).toBe('first call');
    expect(spawns).toHaveLength(1);
    expect(started()).toBe(2);
    await second.close();

    // A changed configuration invalidates the skill's entry: it is discovered again.
    const changed = await gateway(
      { mcpServers: { lazy: raw(`--marker-file=${starts}`, '--tools=1') } },
      {
        catalogCache,
      },
    );
    expect(changed.listTools()).toEqual([]);
    await changed.start();
    expect(changed.resolveTool('lazy__generated_0')).toEqual({ skill: 'lazy', tool: 'generated_0' });
    expect(started()).toBe(3);
  });

  it('should make a call to a skill whose catalog is not known yet wait for it (bug: "Unknown tool" while it was starting)', async () => {
    const g = await gateway({ mcpServers: { slow: raw('--start-delay=400') } });
    const starting = g.start();
    expect(g.listTools()).toEqual([]);
    expect(text(await g.callTool('slow__echo', { message: 'waited' }))).toBe('waited');
    await starting;
    // The call used it: the discovery that ran at the same time left it running.
    expect(g.skills()[0]?.health).toBe('ready');
    expect((await failure(() => g.callTool('slow__no_such_tool'))).code).toBe('UNKNOWN_NAME');
    expect((await failure(() => g.callTool('nobody__echo'))).code).toBe('UNKNOWN_NAME');
  });

  it('should bound the wait for a starting skill by the call’s timeout', async () => {
    const g = await gateway({ mcpServers: { stuck: raw('--start-delay=60000') } });
    const error = await failure(() => g.callTool('stuck__echo', { message: 'x' }, { timeoutMs: 300 }));
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/stuck did not finish starting within 300 ms/);
  });
});
