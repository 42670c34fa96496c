import type { SkillGateway } from '@mimo-mcp/client';
import { type DefinedTool, defineTool } from '@mimo-mcp/protocol-parser/server';
import { z } from 'zod';

/** The gateway's own tools: each skill's health, and a restart. */
export function gatewayTools(gateway: SkillGateway): DefinedTool[] {
  return [
    defineTool({
      name: 'skills_status',
      title: 'Skill status',
      description:
        'Health of every skill (MCP server behind Mimo): state, breaker with retry-after, restarts, tools, last error.',
      input: z.strictObject({}),
      output: z.object({ skills: z.array(z.record(z.string(), z.unknown())) }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async () => ({ skills: gateway.skills() as unknown as Array<Record<string, unknown>> }),
    }),
    defineTool({
      name: 'skills_restart',
      title: 'Restart a skill',
      description: 'Restart a skill (also resets its circuit breaker and crash-loop state).',
      input: z.strictObject({ name: z.string().min(1) }),
      output: z.object({ skill: z.record(z.string(), z.unknown()) }),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      run: async ({ name }, scope) => {
        await gateway.restartSkill(name, { signal: scope.signal });
        return {
          skill: gateway.skills().find((skill) => skill.name === name) as unknown as Record<string, unknown>,
        };
      },
    }),
  ];
}
