import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { SkillConfigSchema } from '@mimo-mcp/client';
import { z } from 'zod';

/** Where Mimo keeps its configuration and data by default, per platform. */
export function defaultDirectories(env: NodeJS.ProcessEnv = process.env): { config: string; data: string } {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  if (process.platform === 'darwin') {
    const dir = join(home, 'Library', 'Application Support', 'mimo');
    return { config: dir, data: dir };
  }
  if (process.platform === 'win32') {
    return {
      config: join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'mimo'),
      data: join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'mimo'),
    };
  }
  return {
    config: join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'mimo'),
    data: join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'mimo'),
  };
}

const ThresholdSchema = z.strictObject({
  name: z.string().min(1),
  metric: z.string().min(1),
  level: z.enum(['warning', 'critical']).optional(),
  above: z.number(),
  resolveBelow: z.number().optional(),
  forMs: z.int().min(0).optional(),
});

const EmbedderSchema = z.discriminatedUnion('provider', [
  z.strictObject({ provider: z.literal('local'), dimensions: z.int().min(16).max(4096).optional() }),
  z.strictObject({
    provider: z.literal('ollama'),
    model: z.string().min(1),
    url: z.url().optional(),
    dimensions: z.int().min(1).max(4096).optional(),
  }),
  z.strictObject({
    provider: z.literal('openai'),
    model: z.string().min(1),
    baseUrl: z.url().optional(),
    apiKey: z.string().min(1).optional(),
    dimensions: z.int().min(1).max(4096).optional(),
  }),
]);

/** The configuration file (JSON). Unknown keys are refused with their path. */
export const ConfigFileSchema = z.strictObject({
  $schema: z.string().optional(),
  database: z
    .strictObject({
      /** SQLite file. @default <data dir>/memory.db */
      path: z.string().min(1).optional(),
      /** @default 'full' */
      synchronous: z.enum(['full', 'normal']).optional(),
    })
    .optional(),
  /** Namespace of memories and graph. @default the current project's directory name */
  namespace: z.string().min(1).optional(),
  /** @default { provider: 'local' } */
  embedder: EmbedderSchema.optional(),
  /** What `tools/list` shows: everything, only memory and graph tools, or memory tools + find_tools/call_tool. @default 'all' */
  toolProfile: z.enum(['all', 'memory', 'compact']).optional(),
  /** Store each proxied skill call as a memory (kind `skill-call`). @default false */
  recordSkillCalls: z.boolean().optional(),
  /** Skills, in the `mcpServers` shape of Claude Desktop and Claude Code. */
  mcpServers: z.record(z.string(), SkillConfigSchema).optional(),
  gateway: z
    .strictObject({
      timeoutMs: z.int().min(1).optional(),
      connectTimeoutMs: z.int().min(1).optional(),
      maxConcurrency: z.int().min(1).optional(),
      maxProcesses: z.int().min(1).max(1000).optional(),
      /** Programs skills may be started with. @default node, npx, npm, uvx, python3, docker */
      allowedCommands: z.array(z.string().min(1)).optional(),
      /** @default 'lazy' */
      startup: z.enum(['lazy', 'eager']).optional(),
    })
    .optional(),
  monitor: z
    .strictObject({
      intervalMs: z.int().min(100).optional(),
      thresholds: z.array(ThresholdSchema).optional(),
    })
    .optional(),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
    })
    .optional(),
  /** How long a shutdown waits for calls in flight. @default 5000 */
  shutdownGraceMs: z.int().min(0).max(600_000).optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** Flags of the command line that override the file and the environment. */
export interface ConfigFlags {
  config?: string;
  db?: string;
  namespace?: string;
  embedder?: string;
  logLevel?: string;
  toolProfile?: string;
}

/** The effective configuration, after defaults, file, environment and flags. */
export interface MimoConfig {
  configPath: string | undefined;
  dataDir: string;
  database: { path: string; synchronous: 'full' | 'normal' };
  namespace: string;
  embedder: z.infer<typeof EmbedderSchema>;
  toolProfile: 'all' | 'memory' | 'compact';
  recordSkillCalls: boolean;
  mcpServers: NonNullable<ConfigFile['mcpServers']>;
  gateway: NonNullable<ConfigFile['gateway']>;
  monitor: NonNullable<ConfigFile['monitor']>;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A namespace from the working directory: the repository (nearest `.git`) or directory name. */
export function projectNamespace(cwd: string = process.cwd()): string {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, '.git'))) break;
    const parent = dirname(dir);
    if (parent === dir) {
      dir = resolve(cwd);
      break;
    }
    dir = parent;
  }
  const name = basename(dir)
    .replace(/[^\p{L}\p{N}_.:@/-]+/gu, '-')
    .slice(0, 100);
  return name.length > 0 ? `project:${name}` : 'default';
}

function issues(error: z.ZodError, source: string): string {
  return error.issues
    .slice(0, 6)
    .map((issue) => `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('\n');
}

/**
 * Builds the effective configuration: defaults < config file < environment < flags. A bad file, variable
 * or flag fails with the exact path and reason.
 *
 * @throws {ConfigError}
 */
export function loadConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): MimoConfig {
  const dirs = defaultDirectories(env);
  const explicitPath = flags.config ?? env.MIMO_CONFIG;
  const configPath = explicitPath ? resolve(cwd, explicitPath) : join(dirs.config, 'config.json');
  let file: ConfigFile = {};
  if (existsSync(configPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (error) {
      throw new ConfigError(`${configPath}: not valid JSON: ${(error as Error).message}`);
    }
    const parsed = ConfigFileSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(issues(parsed.error, configPath));
    file = parsed.data;
  } else if (explicitPath) {
    throw new ConfigError(`${configPath}: no such file (from ${flags.config ? '--config' : 'MIMO_CONFIG'})`);
  }

  const choice = <T extends string>(
    value: string | undefined,
    allowed: readonly T[],
    source: string,
  ): T | undefined => {
    if (value === undefined || value === '') return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(`${source}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
  const profiles = ['all', 'memory', 'compact'] as const;

  let embedder = file.embedder ?? { provider: 'local' as const };
  const provider =
    choice(flags.embedder, ['local', 'ollama', 'openai'] as const, '--embedder') ??
    choice(env.MIMO_EMBEDDER, ['local', 'ollama', 'openai'] as const, 'MIMO_EMBEDDER');
  if (provider && provider !== embedder.provider) {
    const model = env.MIMO_EMBEDDING_MODEL;
    if (provider !== 'local' && !model) {
      throw new ConfigError(`MIMO_EMBEDDER=${provider} needs MIMO_EMBEDDING_MODEL (the model name)`);
    }
    embedder = provider === 'local' ? { provider } : { provider, model: model as string };
  }
  if (embedder.provider === 'ollama' && env.MIMO_OLLAMA_URL)
    embedder = { ...embedder, url: env.MIMO_OLLAMA_URL };
  if (embedder.provider === 'openai') {
    if (env.MIMO_OPENAI_BASE_URL) embedder = { ...embedder, baseUrl: env.MIMO_OPENAI_BASE_URL };
    if (env.MIMO_OPENAI_API_KEY) embedder = { ...embedder, apiKey: env.MIMO_OPENAI_API_KEY };
  }
  if (embedder.provider !== 'local' && env.MIMO_EMBEDDING_MODEL)
    embedder = { ...embedder, model: env.MIMO_EMBEDDING_MODEL };
  const checkedEmbedder = EmbedderSchema.safeParse(embedder);
  if (!checkedEmbedder.success) throw new ConfigError(issues(checkedEmbedder.error, 'embedder'));

  const recordVariable = env.MIMO_RECORD_SKILL_CALLS;
  if (recordVariable !== undefined && !['0', '1', 'true', 'false', ''].includes(recordVariable)) {
    throw new ConfigError(
      `MIMO_RECORD_SKILL_CALLS: ${JSON.stringify(recordVariable)} is not true, false, 1 or 0`,
    );
  }
  const dbPath = flags.db ?? env.MIMO_DB_PATH ?? file.database?.path ?? join(dirs.data, 'memory.db');
  return {
    configPath: existsSync(configPath) ? configPath : undefined,
    dataDir: dirs.data,
    database: {
      path: dbPath === ':memory:' ? dbPath : resolve(cwd, dbPath),
      synchronous: file.database?.synchronous ?? 'full',
    },
    namespace: flags.namespace ?? env.MIMO_NAMESPACE ?? file.namespace ?? projectNamespace(cwd),
    embedder: checkedEmbedder.data,
    toolProfile:
      choice(flags.toolProfile, profiles, '--tool-profile') ??
      choice(env.MIMO_TOOL_PROFILE, profiles, 'MIMO_TOOL_PROFILE') ??
      file.toolProfile ??
      'all',
    recordSkillCalls:
      recordVariable !== undefined && recordVariable !== ''
        ? recordVariable === '1' || recordVariable === 'true'
        : (file.recordSkillCalls ?? false),
    mcpServers: file.mcpServers ?? {},
    gateway: file.gateway ?? {},
    monitor: file.monitor ?? {},
    logLevel:
      choice(flags.logLevel, levels, '--log-level') ??
      choice(env.MIMO_LOG_LEVEL, levels, 'MIMO_LOG_LEVEL') ??
      file.log?.level ??
      'info',
    shutdownGraceMs: file.shutdownGraceMs ?? 5000,
  };
}

const SECRET_KEY = /(key|token|secret|password|authorization|credential)/i;

/** The configuration with secrets masked: API keys, every skill env value and header, anything named like a secret. */
export function maskSecrets(config: MimoConfig): unknown {
  const mask = (value: unknown, key = '', parent = ''): unknown => {
    if (typeof value === 'string') {
      return (SECRET_KEY.test(key) || parent === 'env' || parent === 'headers') && value.length > 0
        ? '***'
        : value;
    }
    if (Array.isArray(value)) return value.map((item) => mask(item, '', key));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k, key)]));
    }
    return value;
  };
  return mask(config);
}
