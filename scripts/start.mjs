// One command from a fresh clone to a running Mimo MCP server: installs dependencies, builds, then starts
// `mimo` on stdio. Everything before the server starts writes to stderr, so stdout carries nothing but
// MCP protocol messages and this command can itself be configured as an MCP server command.
// Usage: node scripts/start.mjs [mimo arguments...]
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpm = ['-y', 'pnpm@10.34.9'];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function step(args) {
  // stdout of the step goes to our stderr (fd 2): install and build logs must never reach the MCP client.
  const result = spawnSync(npx, [...pnpm, ...args], { cwd: root, env, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) {
    process.stderr.write(
      `mimo start: "pnpm ${args.join(' ')}" failed (exit ${result.status ?? result.signal})\n`,
    );
    process.exit(result.status ?? 1);
  }
}

// No TTY may be there to answer pnpm's "remove the modules directory?" (a store moved, a pnpm upgrade): say yes.
step(['install', '--prefer-offline', '--config.confirmModulesPurge=false']);
step(['exec', 'turbo', 'run', 'build', '--filter=mimo-mcp...', '--output-logs=errors-only']);

const server = spawn(
  process.execPath,
  [join(root, 'apps/mcp-server/dist/cli.js'), ...process.argv.slice(2)],
  {
    cwd: process.cwd(),
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
