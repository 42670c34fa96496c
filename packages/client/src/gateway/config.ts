import { readFile } from 'node:fs/promises';
import { formatIssues } from '@mimo-mcp/core';
import { z } from 'zod';
import { ClientError } from '../errors.js';

/** Skill names become tool-name prefixes: letters, digits, `_`, `-` and `.`. @internal */
export const SkillNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a skill name has 1–64 letters, digits or _ - .');

const ToolFilterSchema = z.strictObject({
  /** Only these tools (upstream names) are exposed. */
  allow: z.array(z.string().min(1)).optional(),
  /** These tools (upstream names) are never exposed. */
  deny: z.array(z.string().min(1)).optional(),
});

/** Mimo's own per-skill options, beside the standard fields. */
const MimoOptions = {
  /** Not started and not exposed. @default false */
  disabled: z.boolean().optional(),
  /** `lazy`: started on the first call (default); `eager`: started with the gateway. */
  startup: z.enum(['lazy', 'eager']).optional(),
  /** Timeout of one tool call, in ms. @default gateway default (60000) */
  timeoutMs: z.int().min(1).max(3_600_000).optional(),
  /** Timeout of start + handshake + first tools/list, in ms. @default gateway default (30000) */
  connectTimeoutMs: z.int().min(1).max(600_000).optional(),
  /** Most calls in flight at once (more wait in a queue of the same size). @default gateway default (16) */
  maxConcurrency: z.int().min(1).max(1000).optional(),
  /** Stop the skill after this long without calls (restarted on the next call). */
  idleTimeoutMs: z.int().min(1000).optional(),
  tools: ToolFilterSchema.optional(),
  /** `auto` (default), `legacy` or `modern`: how the protocol era is chosen. */
  protocol: z.enum(['auto', 'legacy', 'modern']).optional(),
};

/** @internal */
export const StdioSkillSchema = z.strictObject({
  /** Accepted for compatibility with configs written for VS Code. */
  type: z.literal('stdio').optional(),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  /** Parent variables the skill's `env` may reference as `${NAME}`. */
  passEnv: z.array(z.string()).optional(),
  /** Resident-memory limit of the skill's process group; exceeding it restarts the skill. */
  maxRssBytes: z.int().min(1).optional(),
  /** Restart policy after crashes (`false`: never restart). @default backoff 0.5 s doubling to 30 s; crash-loop after 5 crashes in 60 s */
  restart: z
    .union([
      z.literal(false),
      z.strictObject({
        initialDelayMs: z.int().min(0).optional(),
        maxDelayMs: z.int().min(0).optional(),
        maxCrashes: z.int().min(1).optional(),
        windowMs: z.int().min(1).optional(),
      }),
    ])
    .optional(),
  ...MimoOptions,
});

/** @internal */
export const HttpSkillSchema = z.strictObject({
  type: z.enum(['http', 'streamable-http', 'streamableHttp']).optional(),
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).optional(),
  ...MimoOptions,
});

export const SkillConfigSchema = z.union([StdioSkillSchema, HttpSkillSchema]);
export type SkillConfig = z.infer<typeof SkillConfigSchema>;
export type StdioSkillConfig = z.infer<typeof StdioSkillSchema>;
export type HttpSkillConfig = z.infer<typeof HttpSkillSchema>;

/**
 * A gateway configuration in the `mcpServers` shape used by Claude Desktop, Claude Code (`.mcp.json`)
 * and others: `{ "mcpServers": { "<name>": { "command", "args", "env", "cwd" } | { "url", "headers" } } }`,
 * plus Mimo's per-skill options (`disabled`, `startup`, `timeoutMs`, `tools: { allow, deny }`, …).
 * VS Code's `servers` key is accepted too.
 */
export const GatewayConfigSchema = z
  .looseObject({
    mcpServers: z.record(SkillNameSchema, SkillConfigSchema).optional(),
    servers: z.record(SkillNameSchema, SkillConfigSchema).optional(),
  })
  .transform((value) => ({ mcpServers: { ...value.servers, ...value.mcpServers } }));
export type GatewayConfig = z.input<typeof GatewayConfigSchema>;
export type ResolvedGatewayConfig = z.output<typeof GatewayConfigSchema>;

export function isStdioSkill(config: SkillConfig): config is StdioSkillConfig {
  return 'command' in config;
}

/**
 * Validates a configuration object, naming every problem with its path.
 * @throws {ClientError} `INVALID_CONFIG`
 */
export function parseGatewayConfig(value: unknown, source = 'configuration'): ResolvedGatewayConfig {
  // Zod reports a bad record key only as "Invalid key in record"; name the key and the rule instead.
  for (const key of ['mcpServers', 'servers'] as const) {
    const section = (value as Record<string, unknown> | null)?.[key];
    if (typeof section !== 'object' || section === null) continue;
    for (const name of Object.keys(section)) {
      if (!SkillNameSchema.safeParse(name).success) {
        throw new ClientError(
          'INVALID_CONFIG',
          `Invalid ${source}: ${key}: the skill name ${JSON.stringify(name)} must be 1–64 letters, digits or _ - .`,
        );
      }
    }
  }
  const parsed = GatewayConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new ClientError('INVALID_CONFIG', `Invalid ${source}: ${formatIssues(parsed.error, { max: 8 })}`);
  }
  return parsed.data;
}

/**
 * Reads and validates a JSON configuration file.
 * @throws {ClientError} `INVALID_CONFIG` (unreadable, not JSON, or invalid, naming the file)
 */
export async function loadGatewayConfig(path: string): Promise<ResolvedGatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ClientError('INVALID_CONFIG', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClientError('INVALID_CONFIG', `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseGatewayConfig(value, path);
}

/** A canonical JSON form (sorted keys) to compare configurations and catalogs. @internal */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
      : item,
  );
}

/** Whether a tool (upstream name) passes the skill's allow/deny lists. */
export function toolAllowed(config: SkillConfig, tool: string): boolean {
  const filter = config.tools;
  if (filter?.deny?.includes(tool)) return false;
  return filter?.allow ? filter.allow.includes(tool) : true;
}
