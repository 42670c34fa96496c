import { formatIssues } from '@mimo-mcp/core';
import { z } from 'zod';
import type { CallToolResult, Tool, ToolAnnotations } from '../mcp/schemas.js';
import type { ToolCallScope } from './mcp-server.js';

/** A tool defined with {@link defineTool}: its `tools/list` definition and a validating `call`. */
export interface DefinedTool {
  readonly definition: Tool;
  call(args: Record<string, unknown>, scope: ToolCallScope): Promise<CallToolResult>;
}

/** JSON Schema for MCP: the input view (defaults optional), without `$schema` so draft-07 clients accept it too. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/**
 * Defines a tool. Arguments are validated with `input`; invalid ones come back as an `isError` result naming
 * the field (so a model can correct itself). The handler's value becomes `structuredContent` (described by
 * `output`) and a JSON text block; a thrown error becomes an `isError` result with its message.
 * Both schemas become JSON Schema (`inputSchema` in the input view, `outputSchema` in the output view).
 *
 * @example
 * const echo = defineTool({
 *   name: 'echo',
 *   title: 'Echo',
 *   description: 'Returns its text.',
 *   input: z.strictObject({ text: z.string() }),
 *   output: z.object({ text: z.string() }),
 *   annotations: { readOnlyHint: true },
 *   run: async ({ text }) => ({ text }),
 * });
 * const server = new McpServer({
 *   serverInfo: { name: 'echo', version: '1.0.0' },
 *   tools: { list: () => [echo.definition], call: (_name, args, scope) => echo.call(args, scope) },
 * });
 */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: Omit<ToolAnnotations, 'title'>;
  run: (args: z.output<I>, scope: ToolCallScope) => Promise<z.input<O>>;
}): DefinedTool {
  const definition: Tool = {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    inputSchema: jsonSchema(spec.input, 'input') as Tool['inputSchema'],
    outputSchema: jsonSchema(spec.output, 'output') as NonNullable<Tool['outputSchema']>,
    annotations: { title: spec.title, ...spec.annotations },
  };
  return {
    definition,
    async call(args, scope) {
      const parsed = spec.input.safeParse(args);
      if (!parsed.success) {
        return {
          content: [
            {
              type: 'text',
              text: `Invalid arguments for ${spec.name}: ${formatIssues(parsed.error, { root: '(arguments)' })}`,
            },
          ],
          isError: true,
        };
      }
      try {
        // The output type is checked at compile time and the schema by the e2e tests (the SDK v1 client
        // validates structuredContent against outputSchema); parsing every result again would cost per call.
        const output = (await spec.run(parsed.data, scope)) as Record<string, unknown>;
        return { content: [{ type: 'text', text: JSON.stringify(output) }], structuredContent: output };
      } catch (error) {
        return {
          content: [{ type: 'text', text: (error as Error)?.message ?? String(error) }],
          isError: true,
        };
      }
    },
  };
}
