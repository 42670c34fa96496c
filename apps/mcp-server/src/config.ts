import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { SkillConfigSchema, validateSkillConfig } from '@mimo-mcp/client';
import { formatIssue } from '@mimo-mcp/core';
import { DEFAULT_MAX_MESSAGE_BYTES } from '@mimo-mcp/protocol-parser';
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
  /** Network mode (`mimo serve`). */
  http: z
    .strictObject({
      /** Interface to bind. Anything but loopback requires `tokens`. @default '127.0.0.1' */
      host: z.string().min(1).optional(),
      /** @default 7077 */
      port: z.int().min(0).max(65_535).optional(),
      /** Bearer tokens accepted (at least 16 characters each). Prefer `tokenFile`: no secret in the config. */
      tokens: z.array(z.string().min(16, 'a token needs at least 16 characters')).optional(),
      /** A file of bearer tokens, one per line (`#` comments and blank lines ignored); keep it mode 600. */
      tokenFile: z.string().min(1).optional(),
      /** Browser origins allowed besides loopback ones, e.g. "https://app.example.com". */
      allowedOrigins: z.array(z.string().min(1)).optional(),
      /** Host names accepted behind a reverse proxy (default: loopback names only when bound to loopback, any otherwise). */
      allowedHosts: z.array(z.string().min(1)).optional(),
      /** Per-client token bucket; false turns it off. @default { burst: 2000, perSecond: 1000 } */
      rateLimit: z
        .union([
          z.literal(false),
          z.strictObject({ burst: z.int().min(1), perSecond: z.number().positive() }),
        ])
        .optional(),
      /** @default 4194304 (4 MiB) */
      maxBodyBytes: z.int().min(1024).max(268_435_456).optional(),
      /** Failed token checks per address before 429 (token bucket); false turns it off. @default { burst: 10, perSecond: 0.1 } */
      authFailureLimit: z
        .union([
          z.literal(false),
          z.strictObject({ burst: z.int().min(1), perSecond: z.number().positive() }),
        ])
        .optional(),
      /** Open connections at once; more are closed on accept. @default half the soft file-descriptor limit, at most 10000 (1000 where it cannot be read) */
      maxConnections: z.int().min(1).max(1_000_000).optional(),
      /** Open connections from one address. @default 256 */
      maxConnectionsPerClient: z.int().min(1).optional(),
      /** Legacy GET streams one client holds at once. @default 16 */
      maxStreamsPerClient: z.int().min(1).optional(),
      /** Deadline to receive a whole request, headers and body (then 408 and close). @default 30000 */
      requestTimeoutMs: z.int().min(1000).max(3_600_000).optional(),
      /** The /events stream: ping interval (a client missing one is dropped) and per-client send buffer. */
      events: z
        .strictObject({
          /** @default 15000 */
          heartbeatMs: z.int().min(50).optional(),
          /** @default 1048576 (1 MiB) */
          maxBufferedBytes: z.int().min(1024).optional(),
        })
        .optional(),
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
  host?: string;
  port?: string;
  tokens?: string[];
  tokenFile?: string;
  allowedOrigins?: string[];
  rateLimit?: string;
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
  http: {
    host: string;
    port: number;
    tokens: string[];
    allowedOrigins: string[];
    allowedHosts: string[] | undefined;
    rateLimit: { burst: number; perSecond: number } | false;
    authFailureLimit: { burst: number; perSecond: number } | false;
    maxBodyBytes: number;
    /** `undefined`: derived from the file-descriptor limit when serving. */
    maxConnections: number | undefined;
    maxConnectionsPerClient: number;
    maxStreamsPerClient: number;
    requestTimeoutMs: number;
    events: { heartbeatMs: number; maxBufferedBytes: number };
    /** Risky but valid settings (a token in argv, a token file others can read), logged at start. */
    warnings: string[];
  };
}

export type ConfigErrorCode =
  /** A flag, environment variable or file field has a value Mimo cannot use (the default). */
  | 'INVALID_VALUE'
  /** A configuration or token file named explicitly does not exist. */
  | 'FILE_NOT_FOUND'
  /** A file is not what it should be: not valid JSON, not a regular file, unreadable, or holding no token. */
  | 'INVALID_FILE'
  /** A token is too short or contains spaces. */
  | 'INVALID_TOKEN';

/** A configuration Mimo cannot start with; the message names the flag, variable or file and the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;

  constructor(message: string, options: { code?: ConfigErrorCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'INVALID_VALUE';
  }
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
    .map((issue) => `${source}: ${formatIssue(issue)}`)
    .join('\n');
}

/** Most problems listed when a file is refused (all of them up to this many). */
const MAX_PROBLEMS = 20;

/**
 * Every problem of the file, one line each: the schema's, and for each `mcpServers` entry the rules the
 * gateway applies when it starts the skill (allow-listed command, `${NAME}` only from `passEnv`, limits),
 * so that a bad entry stops Mimo here with its path instead of failing at start.
 */
function fileProblems(raw: unknown, source: string): string[] {
  const parsed = ConfigFileSchema.safeParse(raw);
  const file = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    mcpServers?: unknown;
    gateway?: { allowedCommands?: unknown };
  };
  const servers = file.mcpServers;
  const checkSkills = typeof servers === 'object' && servers !== null && !Array.isArray(servers);
  const allowed = file.gateway?.allowedCommands;
  const allowedCommands =
    Array.isArray(allowed) && allowed.every((command) => typeof command === 'string') ? allowed : undefined;
  const skillProblems = checkSkills
    ? Object.entries(servers).flatMap(([name, entry]) =>
        validateSkillConfig(name, entry, allowedCommands ? { allowedCommands } : {}).map(
          (issue) => `${source}: mcpServers.${name}${issue.path ? `.${issue.path}` : ''}: ${issue.message}`,
        ),
      )
    : [];
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues
        // The entries' own problems come from validateSkillConfig, with clearer messages than the union's.
        .filter((issue) => !(checkSkills && issue.path[0] === 'mcpServers' && issue.path.length > 1))
        .map((issue) => `${source}: ${formatIssue(issue)}`);
  const problems = [...schemaProblems, ...skillProblems];
  return problems.length > MAX_PROBLEMS
    ? [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`]
    : problems;
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
      throw new ConfigError(`${configPath}: not valid JSON: ${(error as Error).message}`, {
        code: 'INVALID_FILE',
        cause: error,
      });
    }
    const problems = fileProblems(raw, configPath);
    if (problems.length > 0) throw new ConfigError(problems.join('\n'));
    file = ConfigFileSchema.parse(raw);
  } else if (explicitPath) {
    throw new ConfigError(`${configPath}: no such file (from ${flags.config ? '--config' : 'MIMO_CONFIG'})`, {
      code: 'FILE_NOT_FOUND',
    });
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
    http: httpConfig(file.http ?? {}, flags, env, cwd, configPath),
  };
}

/**
 * Reads a token file: one token per line, blank lines and `#` comments ignored. A file that group or
 * others may read is accepted with a warning (Docker secrets are often mode 444).
 *
 * @throws {ConfigError} when the file is missing or unreadable, holds no token, or a token is too short
 */
export function readTokenFile(path: string, source: string, warnings: string[]): string[] {
  let text: string;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new ConfigError(`${source}: ${path} is not a file`, { code: 'INVALID_FILE' });
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      warnings.push(
        `${source}: ${path} is readable by group or others (mode ${(stats.mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${source}: ${path}: no such file`
        : `${source}: cannot read ${path}: ${(error as Error).message}`,
      { code: code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'INVALID_FILE', cause: error },
    );
  }
  const tokens: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/\s/.test(line))
      throw new ConfigError(`${source}: ${path}:${index + 1}: a token cannot contain spaces`, {
        code: 'INVALID_TOKEN',
      });
    if (line.length < 16) {
      throw new ConfigError(`${source}: ${path}:${index + 1}: a token needs at least 16 characters`, {
        code: 'INVALID_TOKEN',
      });
    }
    tokens.push(line);
  }
  if (tokens.length === 0) {
    throw new ConfigError(`${source}: ${path} holds no token (one per line; # starts a comment)`, {
      code: 'INVALID_FILE',
    });
  }
  return tokens;
}

function httpConfig(
  file: NonNullable<ConfigFile['http']>,
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  configPath: string,
): MimoConfig['http'] {
  const warnings: string[] = [];
  const portText = flags.port ?? env.MIMO_HTTP_PORT;
  let port = file.port ?? 7077;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new ConfigError(
        `${flags.port ? '--port' : 'MIMO_HTTP_PORT'}: ${JSON.stringify(portText)} is not a port (0–65535)`,
      );
    }
  }
  // Each level (flags, environment, file) gives its tokens and its token file together; the first level
  // that gives any wins.
  const fromFile = (path: string | undefined, source: string, base: string) =>
    path ? readTokenFile(resolve(base, path), source, warnings) : [];
  const flagTokens = [...(flags.tokens ?? []), ...fromFile(flags.tokenFile, '--token-file', cwd)];
  if (flags.tokens?.length) {
    warnings.push(
      '--token puts the token in the process list (/proc/<pid>/cmdline is readable by every user): use --token-file or MIMO_HTTP_TOKENS_FILE',
    );
  }
  const envTokens = [
    ...(env.MIMO_HTTP_TOKENS?.split(',')
      .map((token) => token.trim())
      .filter(Boolean) ?? []),
    ...fromFile(env.MIMO_HTTP_TOKENS_FILE, 'MIMO_HTTP_TOKENS_FILE', cwd),
  ];
  const fileTokens = [
    ...(file.tokens ?? []),
    ...fromFile(file.tokenFile, `${configPath}: http.tokenFile`, dirname(configPath)),
  ];
  const tokens = [flagTokens, envTokens, fileTokens].find((level) => level.length > 0) ?? [];
  for (const token of tokens) {
    if (token.length < 16)
      throw new ConfigError('http token: a token needs at least 16 characters', { code: 'INVALID_TOKEN' });
  }
  let rateLimit = file.rateLimit ?? { burst: 2000, perSecond: 1000 };
  const rateText = flags.rateLimit ?? env.MIMO_HTTP_RATE_LIMIT;
  if (rateText !== undefined && rateText !== '') {
    const match = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(rateText);
    if (!match) {
      throw new ConfigError(
        `--rate-limit: ${JSON.stringify(rateText)} is not <per second>[/<burst>] (0 turns it off)`,
      );
    }
    const perSecond = Number(match[1]);
    rateLimit =
      perSecond === 0
        ? false
        : { perSecond, burst: Number(match[2] ?? Math.max(1, Math.ceil(perSecond * 2))) };
  }
  return {
    host: flags.host ?? env.MIMO_HTTP_HOST ?? file.host ?? '127.0.0.1',
    port,
    tokens,
    allowedOrigins: [...(file.allowedOrigins ?? []), ...(flags.allowedOrigins ?? [])],
    allowedHosts: file.allowedHosts,
    rateLimit,
    authFailureLimit: file.authFailureLimit ?? { burst: 10, perSecond: 0.1 },
    maxBodyBytes: file.maxBodyBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxConnections: file.maxConnections,
    maxConnectionsPerClient: file.maxConnectionsPerClient ?? 256,
    maxStreamsPerClient: file.maxStreamsPerClient ?? 16,
    requestTimeoutMs: file.requestTimeoutMs ?? 30_000,
    events: {
      heartbeatMs: file.events?.heartbeatMs ?? 15_000,
      maxBufferedBytes: file.events?.maxBufferedBytes ?? 1024 * 1024,
    },
    warnings,
  };
}

/** Names of keys whose values are masked wherever Mimo shows a configuration or tool arguments. */
export const SECRET_KEY = /(key|token|secret|password|authorization|credential)/i;

/** The configuration with secrets masked: API keys, every skill env value and header, anything named like a secret. */
export function maskSecrets(config: MimoConfig): unknown {
  const mask = (value: unknown, key = '', parent = ''): unknown => {
    if (typeof value === 'string') {
      return (SECRET_KEY.test(key) || SECRET_KEY.test(parent) || parent === 'env' || parent === 'headers') &&
        value.length > 0
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
