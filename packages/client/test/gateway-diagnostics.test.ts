import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '@mimo-mcp/internal-testing/processes';
import { afterEach, describe, expect, it } from 'vitest';
import { type SkillGatewayEvents, validateSkillConfig } from '../src/index.js';
import { failure, gateway, raw, runCleanups, tempDir, text } from './helpers.js';

afterEach(runCleanups);

/** A node one-liner that writes `lines` to stderr and exits with 1, as a skill failing at start does. */
const failing = (lines: string) => [
  '-e',
  `process.stderr.write(${JSON.stringify(`${lines}\n`)}); process.exit(1)`,
];

// What Node prints when a package in a half-written npx cache misses one of its dependencies.
const BROKEN_NPX = [
  'node:internal/modules/esm/resolve:873',
  '  throw new ERR_MODULE_NOT_FOUND(packageName, fileURLToPath(base), null);',
  '        ^',
  '',
  "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'zod' imported from /home/me/.npm/_npx/5c1ab2/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
  '    at packageResolve (node:internal/modules/esm/resolve:873:9)',
  '    at moduleResolve (node:internal/modules/esm/resolve:946:18) {',
  "  code: 'ERR_MODULE_NOT_FOUND'",
  '}',
  '',
  'Node.js v20.19.0',
].join('\n');

describe('gateway diagnostics of a failing skill', () => {
  it.each([
    [
      'a skill that prints its error to stderr and exits',
      () => failing('starting the github server\nError: GITHUB_PERSONAL_ACCESS_TOKEN is not set'),
      /stderr: Error: GITHUB_PERSONAL_ACCESS_TOKEN is not set/,
    ],
    [
      'node with a missing script',
      () => [join(tempDir(), 'missing-script.js')],
      /stderr: Error: Cannot find module '.*missing-script\.js'/,
    ],
    [
      'a package from a broken npx cache',
      () => failing(BROKEN_NPX),
      /Cannot find package 'zod'.*the npx cache looks broken.*rm -rf ~\/\.npm\/_npx.*npx clear-npx-cache/,
    ],
  ])(
    'should show the real error of %s (bug: only "initialize (id 1) failed: the connection closed")',
    async (_name, args, reason) => {
      const g = await gateway({
        mcpServers: { broken: { command: process.execPath, args: args(), restart: false } },
      });
      await g.start();
      const status = g.skills()[0];
      expect(status?.health).toBe('stopped');
      expect(status?.lastError).toMatch(reason);
      expect(status?.lastError).toMatch(/the process exited with code 1/);
      expect(status?.stderrTail.length).toBeLessThanOrEqual(10);
      expect(status?.stderrTail.join('\n')).toMatch(/Error/);
      // A call says the same.
      expect((await failure(() => g.callTool('broken__anything'))).message).toMatch(reason);
    },
  );

  it('should keep the real error of a crash-looping skill', async () => {
    const g = await gateway({
      mcpServers: {
        looping: {
          command: process.execPath,
          args: failing('Error: config file /etc/skill.toml not found'),
          restart: { initialDelayMs: 20, maxDelayMs: 50, maxCrashes: 3 },
        },
      },
    });
    await g.start();
    expect(await waitFor(() => g.skills()[0]?.health === 'crash-loop', { timeoutMs: 10_000 })).toBeTruthy();
    expect(g.skills()[0]?.lastError).toMatch(/stderr: Error: config file \/etc\/skill\.toml not found/);
  });
});

describe('gateway with a skill that writes garbage to stdout', () => {
  it('should never answer its garbage, keep serving it, and show it degraded with the count (bug: a feedback loop at ~7,600 messages/s)', async () => {
    const g = await gateway({ mcpServers: { chatty: { ...raw('--chatty'), startup: 'eager' } } });
    const reports: Array<SkillGatewayEvents['skill-output-invalid']> = [];
    g.on('skill-output-invalid', (event) => reports.push(event));
    await g.start();
    for (let i = 0; i < 150; i++) {
      expect(text(await g.callTool('chatty__echo', { message: `m${i}` }))).toBe(`m${i}`);
    }
    const received = async () =>
      ((await g.callTool('chatty__received')).structuredContent as { lines: number }).lines;
    const before = await received();
    // Nothing to wait for: a loop would keep the skill busy by itself, so give it time to show.
    await delay(500);
    expect(await received()).toBe(before + 1);
    // One line per message we sent (probe, initialize, initialized, tools/list, calls): no more.
    expect(before).toBeLessThan(160);
    const status = g.skills()[0];
    expect(status).toMatchObject({ health: 'degraded', breaker: { state: 'closed' } });
    expect(status?.invalidMessages).toBeGreaterThanOrEqual(150);
    // Reported at once, then at most once per 10 s.
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ skill: 'chatty', count: 1 });
  });
});

describe('gateway with a skill that cannot be registered', () => {
  it('should keep it visible as misconfigured with the reason, and serve the others (bug: one bad entry threw from createSkillGateway)', async () => {
    const g = await gateway({
      mcpServers: {
        shell: { command: 'bash', args: ['-c', 'echo hi'] },
        secret: { ...raw(), env: { TOKEN: `\${GITHUB_TOKEN}` } },
        fine: { ...raw(), startup: 'eager' },
      },
    });
    await g.start();
    const status = (name: string) => g.skills().find((skill) => skill.name === name);
    expect(status('shell')).toMatchObject({ health: 'misconfigured', pid: undefined });
    expect(status('shell')?.lastError).toMatch(/command "bash" is not allowed/);
    expect(status('secret')?.health).toBe('misconfigured');
    expect(status('secret')?.lastError).toMatch(/GITHUB_TOKEN.*not declared in passEnv/);
    expect(status('fine')?.health).toBe('ready');
    const refused = await failure(() => g.callTool('shell__run'));
    expect(refused.code).toBe('SKILL_UNAVAILABLE');
    expect(refused.message).toMatch(/not allowed/);
    expect(text(await g.callTool('fine__echo', { message: 'still here' }))).toBe('still here');
    // A reload to a bad entry is reported the same way, never thrown.
    await g.reload({
      mcpServers: { fine: { ...raw(), startup: 'eager' }, shell: { command: 'sh', args: [] } },
    });
    expect(status('shell')?.health).toBe('misconfigured');
  });
});

describe('validateSkillConfig', () => {
  it('should report every problem of an entry with its path, by the process manager’s rules', () => {
    expect(
      validateSkillConfig('fs', {
        command: 'bash',
        args: ['ok', 'nul\u0000inside'],
        env: { TOKEN: `\${GITHUB_TOKEN}`, 'bad-name': 'x' },
      }).map((issue) => issue.path),
    ).toEqual(['command', 'args', 'env.TOKEN', 'env.bad-name']);
    expect(validateSkillConfig('fs', { command: 'npx', argz: [] })).toEqual([
      { path: '', message: 'Unrecognized key: "argz"' },
    ]);
    expect(validateSkillConfig('fs', { args: [] })[0]?.message).toMatch(/either "command".*or "url"/);
    expect(validateSkillConfig('bad name', { command: 'node' })[0]).toMatchObject({ path: '' });
    expect(validateSkillConfig('fs', { command: 'docker' }, { allowedCommands: ['node'] })).toHaveLength(1);
    // Declared variables are the environment's business, checked at start.
    expect(
      validateSkillConfig('gh', {
        command: 'npx',
        env: { TOKEN: `\${MIMO_TEST_UNSET_VARIABLE}` },
        passEnv: ['MIMO_TEST_UNSET_VARIABLE'],
      }),
    ).toEqual([]);
    expect(validateSkillConfig('off', { command: 'bash', disabled: true })).toEqual([]);
    expect(validateSkillConfig('web', { url: 'http://127.0.0.1:9/mcp' })).toEqual([]);
  });
});
