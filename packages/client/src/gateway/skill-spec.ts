import {
  DEFAULT_ALLOWED_COMMANDS,
  DEFAULT_INHERITED_ENV,
  ProcessError,
  type ProcessSpec,
  resolveSpec,
  type ServiceSpec,
} from '@mimo-mcp/process-manager';
import {
  HttpSkillSchema,
  isStdioSkill,
  SkillNameSchema,
  type StdioSkillConfig,
  StdioSkillSchema,
} from './config.js';

/** What the process manager runs for a stdio skill. @internal */
export function serviceSpec(config: StdioSkillConfig): ServiceSpec {
  return {
    command: config.command,
    ...(config.args ? { args: config.args } : {}),
    ...(config.env ? { env: config.env } : {}),
    ...(config.cwd ? { cwd: config.cwd } : {}),
    ...(config.passEnv ? { passEnv: config.passEnv } : {}),
    ...(config.idleTimeoutMs ? { idleTimeoutMs: config.idleTimeoutMs } : {}),
    ...(config.maxRssBytes ? { limits: { maxRssBytes: config.maxRssBytes } } : {}),
    ...(config.restart === false
      ? { restart: false as const }
      : config.restart
        ? {
            restart: {
              ...(config.restart.initialDelayMs !== undefined
                ? { initialDelayMs: config.restart.initialDelayMs }
                : {}),
              ...(config.restart.maxDelayMs !== undefined ? { maxDelayMs: config.restart.maxDelayMs } : {}),
              crashLoop: {
                maxCrashes: config.restart.maxCrashes ?? 5,
                windowMs: config.restart.windowMs ?? 60_000,
              },
            },
          }
        : {}),
  };
}

/** One problem of a skill's configuration entry. */
export interface SkillConfigIssue {
  /** Where inside the entry: `command`, `args`, `env.TOKEN`, `passEnv`…; empty for the skill's name. */
  path: string;
  /** What is wrong and, where it helps, what to do. */
  message: string;
}

export interface ValidateSkillConfigOptions {
  /** The process manager's allow-list. @default DEFAULT_ALLOWED_COMMANDS of @mimo-mcp/process-manager */
  allowedCommands?: readonly string[];
}

/**
 * Checks one `mcpServers` entry with the rules the gateway applies when it registers the skill, and
 * returns every problem (none: an empty array): the skill name, the entry's schema, and for a stdio skill
 * the process manager's own checks (a command on the allow-list, argument and environment limits, `${NAME}`
 * only for variables listed in `passEnv`). A variable that is declared but not set in this process's
 * environment is not a problem of the entry: it is reported when the skill starts. A disabled skill is not
 * registered, so only its schema is checked.
 *
 * @example
 * validateSkillConfig('fs', { command: 'bash', args: ['-c', 'x'] });
 * // [{ path: 'command', message: 'command "bash" is not allowed; allowed: node, npx, … (configure allowedCommands to add one)' }]
 */
export function validateSkillConfig(
  name: string,
  config: unknown,
  options: ValidateSkillConfigOptions = {},
): SkillConfigIssue[] {
  const issues: SkillConfigIssue[] = [];
  if (!SkillNameSchema.safeParse(name).success) {
    issues.push({
      path: '',
      message: `the skill name ${JSON.stringify(name)} must be 1–64 letters, digits or _ - .`,
    });
  }
  // The union's own error says only "Invalid input": judge the entry by the kind it claims to be.
  const kind = typeof config === 'object' && config !== null ? config : {};
  const schema = 'command' in kind ? StdioSkillSchema : 'url' in kind ? HttpSkillSchema : undefined;
  if (!schema) {
    issues.push({
      path: '',
      message:
        'a skill needs either "command" (a program run over stdio) or "url" (a Streamable HTTP endpoint)',
    });
    return issues;
  }
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push({ path: issue.path.join('.'), message: issue.message });
    }
    return issues;
  }
  if (!isStdioSkill(parsed.data) || parsed.data.disabled) return issues;
  return [
    ...issues,
    ...specIssues(serviceSpec(parsed.data), options.allowedCommands ?? DEFAULT_ALLOWED_COMMANDS),
  ];
}

/**
 * The process manager's verdict on a spec, field by field (it stops at the first problem, so each field is
 * checked on its own, beside a command it always allows).
 */
function specIssues(spec: ProcessSpec, allowedCommands: readonly string[]): SkillConfigIssue[] {
  // Declared variables count as set: whether they are is a matter of the environment at start.
  const parentEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const variable of spec.passEnv ?? []) parentEnv[variable] ??= '';
  const allowed = process.execPath;
  const check = (path: string, part: Partial<ProcessSpec>): SkillConfigIssue[] => {
    try {
      resolveSpec(
        { command: allowed, ...part },
        { allowedCommands, inheritEnv: DEFAULT_INHERITED_ENV, parentEnv },
      );
      return [];
    } catch (error) {
      if (!ProcessError.isInstance(error)) throw error;
      return [{ path, message: error.message }];
    }
  };
  const issues = [
    ...check('command', { command: spec.command }),
    ...(spec.args ? check('args', { args: spec.args }) : []),
    ...(spec.cwd ? check('cwd', { cwd: spec.cwd }) : []),
    ...(spec.passEnv ? check('passEnv', { passEnv: spec.passEnv }) : []),
    ...Object.entries(spec.env ?? {}).flatMap(([key, value]) =>
      check(`env.${key}`, { env: { [key]: value }, ...(spec.passEnv ? { passEnv: spec.passEnv } : {}) }),
    ),
  ];
  // Limits over the whole spec (the number of variables, for one) show only together.
  return issues.length > 0 ? issues : check('', { ...spec, command: allowed });
}
