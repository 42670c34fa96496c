import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool } from './define-tool.js';
import type { ToolCallScope } from './mcp-server.js';

const scope = {
  signal: new AbortController().signal,
  sendProgress: async () => {},
} as unknown as ToolCallScope;

const add = defineTool({
  name: 'add',
  title: 'Add',
  description: 'Adds two numbers.',
  input: z.strictObject({ a: z.number(), b: z.number().default(1) }),
  output: z.object({ sum: z.number() }),
  annotations: { readOnlyHint: true },
  run: async ({ a, b }) => {
    if (a < 0) throw new Error('a must not be negative');
    return { sum: a + b };
  },
});

describe('defineTool', () => {
  it('should describe the tool with JSON Schema for input (defaults optional) and output, without $schema', () => {
    expect(add.definition).toMatchObject({
      name: 'add',
      title: 'Add',
      description: 'Adds two numbers.',
      annotations: { title: 'Add', readOnlyHint: true },
      inputSchema: { type: 'object', required: ['a'] },
      outputSchema: { type: 'object', required: ['sum'] },
    });
    expect(add.definition.inputSchema).not.toHaveProperty('$schema');
    expect(add.definition.outputSchema).not.toHaveProperty('$schema');
  });

  it('should return the handler value as structuredContent and a JSON text block', async () => {
    const result = await add.call({ a: 2 }, scope);
    expect(result).toEqual({ content: [{ type: 'text', text: '{"sum":3}' }], structuredContent: { sum: 3 } });
  });

  it('should return invalid arguments as an isError result naming the field', async () => {
    const result = await add.call({ a: 'two', c: 1 }, scope);
    expect(result.isError).toBe(true);
    expect((result.content[0] as { text: string }).text).toMatch(/^Invalid arguments for add: a: /);
  });

  it('should return a thrown error as an isError result with its message', async () => {
    const result = await add.call({ a: -1 }, scope);
    expect(result).toEqual({ content: [{ type: 'text', text: 'a must not be negative' }], isError: true });
  });
});
