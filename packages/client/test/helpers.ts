import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProcessManager, type ProcessManager, type ProcessSpec } from '@mimo-mcp/process-manager';
import {
  ClientError,
  createSkillGateway,
  createStdioTransport,
  McpClient,
  type McpClientOptions,
  type SkillGateway,
  type SkillGatewayOptions,
} from '../src/index.js';

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const modules = (path: string): string => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));

/** The official servers, started from node_modules with node (never downloaded at test time). */
export const EVERYTHING = modules('@modelcontextprotocol/server-everything/dist/index.js');
export const MEMORY = modules('@modelcontextprotocol/server-memory/dist/index.js');

export const marker = (): string => `mimo-test-${randomUUID()}`;
export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'mimo-client-'));

export const nodeSpec = (script: string, ...args: string[]): ProcessSpec => ({
  command: process.execPath,
  args: [script, ...args],
});

const cleanups: Array<() => Promise<unknown>> = [];
/** Registers something to close after the test. */
export function defer(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}

/** Starts `spec` through a process manager and connects a client to it over stdio. */
export async function connectStdio(spec: ProcessSpec, options: McpClientOptions = {}) {
  const manager: ProcessManager = createProcessManager({ sampleIntervalMs: 0 });
  defer(() => manager.close());
  const child = await manager.spawn(spec);
  const client = new McpClient(options);
  defer(() => client.close());
  const server = await client.connect(createStdioTransport(child));
  return { client, child, manager, server };
}

/** Serves a web-standard fetch handler on 127.0.0.1 with node:http. */
export async function serveFetch(
  handler: (request: Request) => Promise<Response>,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(key, value);
    }
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const response = await handler(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        signal: controller.signal,
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) {
      try {
        for await (const chunk of response.body) res.write(chunk);
      } catch {
        // The client went away.
      }
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

/**
 * A gateway over `config` that tests may start `node` skills with (more commands through
 * `processManagerOptions`), closed after the test.
 */
export async function gateway(
  config: SkillGatewayOptions['config'],
  options: Partial<SkillGatewayOptions> = {},
): Promise<SkillGateway> {
  const created = await createSkillGateway({
    config,
    processManagerOptions: { sampleIntervalMs: 0, allowedCommands: ['node'] },
    ...options,
  });
  defer(() => created.close());
  return created;
}

/** The ClientError `run` rejects with (fails the test if it resolves or throws something else). */
export async function failure(run: () => Promise<unknown>): Promise<ClientError> {
  try {
    await run();
  } catch (error) {
    if (ClientError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ClientError');
}

/** The scriptable fixture server (test/fixtures/raw-server.mjs) as a skill, with its flags. */
export const raw = (...flags: string[]) => ({
  command: process.execPath,
  args: [fixture('raw-server.mjs'), ...flags],
});

/** The text of a tool result's first content block. */
export const text = (result: { content?: unknown[] }) =>
  (result.content?.[0] as { text?: string } | undefined)?.text;
