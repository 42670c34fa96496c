import { createInMemoryTransportPair, JsonRpcError, JsonRpcErrorCode } from '@mimo-mcp/protocol-parser';
import { defineTool, McpServer } from '@mimo-mcp/protocol-parser/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ClientError,
  createSkillGateway,
  gatewayProviders,
  McpClient,
  type SkillGateway,
  type ToolCallEvent,
} from '../src/index.js';
import { defer, EVERYTHING, fixture, runCleanups, text } from './helpers.js';

afterEach(runCleanups);

const raw = { command: process.execPath, args: [fixture('raw-server.mjs')] };
const everything = { command: process.execPath, args: [EVERYTHING, 'stdio'] };
const hello = defineTool({
  name: 'hello',
  title: 'Hello',
  description: 'Greets.',
  input: z.strictObject({ who: z.string() }),
  output: z.object({ greeting: z.string() }),
  annotations: { readOnlyHint: true },
  run: async ({ who }) => ({ greeting: `hello ${who}` }),
});

/** A gateway served by an McpServer built from gatewayProviders, and a client connected to it. */
async function serve(
  mcpServers: Record<string, unknown>,
): Promise<{ gateway: SkillGateway; client: McpClient }> {
  const gateway = await createSkillGateway({
    config: { mcpServers } as never,
    processManagerOptions: { sampleIntervalMs: 0, allowedCommands: ['node'] },
  });
  defer(() => gateway.close());
  await gateway.start();
  const server = new McpServer({
    serverInfo: { name: 'providers-test', version: '1.0.0' },
    ...gatewayProviders(gateway, {
      tools: [hello],
      resources: {
        list: () => [{ uri: 'own://note', name: 'note' }],
        read: async (uri) => {
          if (uri !== 'own://note')
            throw new JsonRpcError(JsonRpcErrorCode.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`);
          return { contents: [{ uri, text: 'own note' }] };
        },
      },
    }),
  });
  defer(() => server.close());
  const [clientSide, serverSide] = createInMemoryTransportPair();
  await server.connect(serverSide);
  const client = new McpClient();
  defer(() => client.close());
  await client.connect(clientSide);
  return { gateway, client };
}

async function remoteCode(run: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await run();
  } catch (error) {
    if (ClientError.isInstance(error)) return error.remoteCode;
    throw error;
  }
  throw new Error('expected a ClientError');
}

describe('gatewayProviders', () => {
  it('should list own tools then the gateway’s, and route a call by name to either', async () => {
    const { client } = await serve({ raw });
    const names = (await client.listTools()).map((tool) => tool.name);
    expect(names[0]).toBe('hello');
    expect(names).toContain('raw__echo');
    expect(await client.callTool('hello', { who: 'you' })).toMatchObject({
      structuredContent: { greeting: 'hello you' },
    });
    expect(text(await client.callTool('raw__echo', { message: 'through' }))).toBe('through');
  });

  it('should answer an unknown tool with -32602 and a gateway failure with an isError result', async () => {
    const { client } = await serve({ raw });
    expect(await remoteCode(() => client.callTool('nobody__nothing', {}))).toBe(
      JsonRpcErrorCode.INVALID_PARAMS,
    );
    const failed = await client.callTool('raw__crash', {});
    expect(failed.isError).toBe(true);
    expect(text(failed)).toMatch(/tools\/call/);
  });

  it('should emit one tool-call event per gateway call, with the upstream names and the outcome', async () => {
    const { gateway, client } = await serve({ raw });
    const events: ToolCallEvent[] = [];
    gateway.on('tool-call', (event) => events.push(event));
    await client.callTool('raw__echo', { message: 'x' });
    await client.callTool('hello', { who: 'me' });
    await remoteCode(() => client.callTool('nobody__nothing', {}));
    expect(events.map(({ name, skill, tool, outcome }) => ({ name, skill, tool, outcome }))).toEqual([
      { name: 'raw__echo', skill: 'raw', tool: 'echo', outcome: 'ok' },
      { name: 'nobody__nothing', skill: undefined, tool: undefined, outcome: 'error' },
    ]);
    expect(events[0]?.arguments).toEqual({ message: 'x' });
    expect(events[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('should delegate gateway resources and prompts, serve own resources, and map unknown ones', async () => {
    const { gateway, client } = await serve({ everything });
    const uris = (await client.listResources()).map((resource) => resource.uri);
    expect(uris[0]).toBe('own://note');
    const skillUri = gateway.listResources()[0]?.uri as string;
    expect(uris).toContain(skillUri);
    expect((await client.readResource('own://note')).contents[0]).toMatchObject({ text: 'own note' });
    expect((await client.readResource(skillUri)).contents.length).toBeGreaterThan(0);
    // -32002 is sent as -32602 to a modern client (as this one is).
    expect(await remoteCode(() => client.readResource('mimo-skill://nobody/file%3A%2F%2Fx'))).toBe(
      JsonRpcErrorCode.INVALID_PARAMS,
    );
    expect(await remoteCode(() => client.readResource('own://other'))).toBe(JsonRpcErrorCode.INVALID_PARAMS);
    const prompt = gateway.listPrompts().find((entry) => !entry.arguments?.some((a) => a.required));
    expect(prompt).toBeDefined();
    expect((await client.getPrompt(prompt?.name as string, {})).messages.length).toBeGreaterThan(0);
    expect(await remoteCode(() => client.getPrompt('nobody__greeting', {}))).toBe(
      JsonRpcErrorCode.INVALID_PARAMS,
    );
  });
});
