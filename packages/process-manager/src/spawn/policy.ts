import { isAbsolute, normalize, resolve } from 'node:path';
import { ProcessError } from '../errors.js';

/** What to run. Spawned without a shell: `args` reach the program exactly as given. */
export interface ProcessSpec {
  /** A program name on the allow-list (looked up in `PATH`) or an absolute path on the allow-list. */
  command: string;
  /** @default [] */
  args?: readonly string[];
  /** Working directory. @default the current directory */
  cwd?: string;
  /**
   * The child's own variables, on top of the inherited minimal set. A value may contain `${NAME}`, replaced
   * by the parent's `NAME` only when `NAME` is listed in `passEnv` (`$${NAME}` stays literal). Values are
   * never logged or put in errors.
   */
  env?: Readonly<Record<string, string>>;
  /** Parent variables this spec may read through `${NAME}`. @default [] */
  passEnv?: readonly string[];
}

/** The validated, resolved form of a {@link ProcessSpec}. */
export interface ResolvedSpec {
  command: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string>;
  /** Names of the variables the child gets (values withheld: they may be secrets). */
  envNames: string[];
}

/** @default the commands skills are usually started with */
export const DEFAULT_ALLOWED_COMMANDS: readonly string[] = ['node', 'npx', 'npm', 'uvx', 'python3', 'docker'];

/**
 * Variables a child inherits from the parent: what programs need to find themselves, their home, a
 * terminal, locale, temp and cache dirs, and proxies and CA certificates for downloads (`npx`, `uvx`).
 * Everything else (tokens, keys, `XDG_CONFIG_HOME`, `XDG_DATA_HOME`) must be passed explicitly. Like the MCP SDK, values starting with `()` (exported
 * shell functions) are dropped.
 */
export const DEFAULT_INHERITED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'XDG_RUNTIME_DIR',
  'XDG_CACHE_HOME',
  // Not XDG_CONFIG_HOME or XDG_DATA_HOME: they would point a child at its owner's own configuration and data
  // (a gateway's config file holds its skills' secrets). A child that needs them gets them through `env`.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  // Windows essentials.
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'APPDATA',
  'LOCALAPPDATA',
  'PROGRAMDATA',
  'PROGRAMFILES',
  'USERPROFILE',
  'USERNAME',
];

export const LIMITS = {
  maxArgs: 128,
  maxArgChars: 8192,
  maxTotalArgChars: 131_072,
  maxEnvEntries: 128,
  maxEnvValueChars: 32_768,
} as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new ProcessError('INVALID_ARGUMENT', `${what} must be a string`);
  if (value.includes('\0'))
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `${what} contains a NUL character, which no program can receive`,
    );
  if (value.length > max)
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `${what} has ${value.length} characters, over the limit of ${max}`,
    );
  return value;
}

/**
 * Checks `command` against the allow-list. A bare name must be listed; a path must be absolute and listed
 * exactly (after normalisation), so `/tmp/x/node` never passes for `node`. The running Node binary
 * (`process.execPath`) is always allowed.
 */
export function checkCommand(command: unknown, allowed: readonly string[]): string {
  const value = checkText(command, 'command', 4096);
  if (value.length === 0) throw new ProcessError('INVALID_ARGUMENT', 'command must not be empty');
  const isPath = value.includes('/') || value.includes('\\');
  if (isPath) {
    if (!isAbsolute(value)) {
      throw new ProcessError(
        'COMMAND_NOT_ALLOWED',
        `command ${JSON.stringify(value)} is a relative path; use a program name from the allow-list or an allowed absolute path`,
      );
    }
    const normalized = normalize(value);
    const allowedPaths = [...allowed.filter((entry) => isAbsolute(entry)).map(normalize), process.execPath];
    if (allowedPaths.includes(normalized)) return normalized;
  } else if (allowed.includes(value)) {
    return value;
  }
  throw new ProcessError(
    'COMMAND_NOT_ALLOWED',
    `command ${JSON.stringify(value)} is not allowed; allowed: ${[...allowed].join(', ')} (configure allowedCommands to add one)`,
    { data: { command: value, allowed: [...allowed] } },
  );
}

/** Replaces `${NAME}` (declared in `passEnv`) by the parent's value, in one pass; `$${NAME}` stays literal. */
function interpolate(
  key: string,
  value: string,
  declared: ReadonlySet<string>,
  parent: NodeJS.ProcessEnv,
): string {
  return value.replace(/\$?\$\{([^}]*)\}/g, (match, name: string) => {
    if (match.startsWith('$$')) return match.slice(1);
    if (!ENV_NAME.test(name)) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `env.${key} refers to \${${name}}, which is not a variable name`,
      );
    }
    if (!declared.has(name)) {
      throw new ProcessError(
        'ENV_NOT_DECLARED',
        `env.${key} refers to \${${name}}, which is not declared in passEnv; add "${name}" to passEnv to pass it on`,
        { data: { variable: name } },
      );
    }
    const found = parent[name];
    if (found === undefined) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `env.${key} refers to \${${name}}, which is not set in this process's environment`,
        { data: { variable: name } },
      );
    }
    return found;
  });
}

/**
 * Validates a spec and builds the child's environment: the inherited minimal set plus the spec's own
 * variables. Nothing else of the parent's environment reaches the child.
 *
 * @throws {ProcessError} `COMMAND_NOT_ALLOWED`, `INVALID_ARGUMENT`, `ENV_NOT_DECLARED`
 */
export function resolveSpec(
  spec: ProcessSpec,
  options: {
    allowedCommands: readonly string[];
    inheritEnv: readonly string[];
    parentEnv?: NodeJS.ProcessEnv;
  },
): ResolvedSpec {
  if (typeof spec !== 'object' || spec === null)
    throw new ProcessError('INVALID_ARGUMENT', 'spec must be an object');
  const command = checkCommand(spec.command, options.allowedCommands);
  const rawArgs = spec.args ?? [];
  if (!Array.isArray(rawArgs)) throw new ProcessError('INVALID_ARGUMENT', 'args must be an array of strings');
  if (rawArgs.length > LIMITS.maxArgs) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `args has ${rawArgs.length} entries, over the limit of ${LIMITS.maxArgs}`,
    );
  }
  const args = rawArgs.map((arg, i) => checkText(arg, `args[${i}]`, LIMITS.maxArgChars));
  const total = args.reduce((sum, arg) => sum + arg.length, 0);
  if (total > LIMITS.maxTotalArgChars) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `args total ${total} characters, over the limit of ${LIMITS.maxTotalArgChars}`,
    );
  }
  const cwd = spec.cwd === undefined ? undefined : resolve(checkText(spec.cwd, 'cwd', 4096));
  const parent = options.parentEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const name of options.inheritEnv) {
    const value = parent[name];
    if (value !== undefined && !value.startsWith('()')) env[name] = value;
  }
  const passEnv = spec.passEnv ?? [];
  if (!Array.isArray(passEnv))
    throw new ProcessError('INVALID_ARGUMENT', 'passEnv must be an array of variable names');
  for (const name of passEnv) {
    if (typeof name !== 'string' || !ENV_NAME.test(name)) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `passEnv entry ${JSON.stringify(name)} is not a variable name`,
      );
    }
  }
  const declared = new Set(passEnv);
  const own = Object.entries(spec.env ?? {});
  if (own.length > LIMITS.maxEnvEntries) {
    throw new ProcessError(
      'INVALID_ARGUMENT',
      `env has ${own.length} entries, over the limit of ${LIMITS.maxEnvEntries}`,
    );
  }
  for (const [key, value] of own) {
    if (!ENV_NAME.test(key))
      throw new ProcessError('INVALID_ARGUMENT', `env name ${JSON.stringify(key)} is not a variable name`);
    // Only the name goes into messages: the value may be a secret.
    if (typeof value !== 'string') throw new ProcessError('INVALID_ARGUMENT', `env.${key} must be a string`);
    if (value.includes('\0'))
      throw new ProcessError('INVALID_ARGUMENT', `env.${key} contains a NUL character`);
    if (value.length > LIMITS.maxEnvValueChars) {
      throw new ProcessError(
        'INVALID_ARGUMENT',
        `env.${key} is longer than ${LIMITS.maxEnvValueChars} characters`,
      );
    }
    env[key] = interpolate(key, value, declared, parent);
  }
  return { command, args, cwd, env, envNames: Object.keys(env).sort() };
}
