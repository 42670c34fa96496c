// Starts a gateway with N live skills in a fresh process and prints its RSS (and the baseline before it).
import { fileURLToPath } from 'node:url';
import { createSkillGateway } from '../dist/index.js';

const count = Number(process.argv[2] ?? 20);
const echo = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
const skills = Object.fromEntries(
  Array.from({ length: count }, (_, i) => [
    `s${i}`,
    { command: process.execPath, args: [echo], startup: 'eager' },
  ]),
);
const gateway = await createSkillGateway({
  config: { mcpServers: skills },
  processManagerOptions: { sampleIntervalMs: 0, maxProcesses: count + 4 },
});
await gateway.start();
for (const skill of gateway.skills()) await gateway.callTool(`${skill.name}__echo`, { message: 'hi' });
globalThis.gc?.();
const rss = process.memoryUsage().rss;
const live = gateway.skills().filter((skill) => skill.health === 'ready').length;
const pids = gateway.skills().map((skill) => skill.pid);
process.stdout.write(`${JSON.stringify({ baseline, rss, live, pids })}\n`);
await gateway.close();
