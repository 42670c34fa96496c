import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcessError } from '../errors.js';
import { checkCommand, DEFAULT_ALLOWED_COMMANDS, LIMITS, resolveSpec } from './policy.js';

const options = (parentEnv: NodeJS.ProcessEnv = {}) => ({
  allowedCommands: DEFAULT_ALLOWED_COMMANDS,
  inheritEnv: ['PATH', 'HOME'],
  parentEnv,
});

function failure(run: () => unknown): ProcessError {
  try {
    run();
  } catch (error) {
    if (ProcessError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ProcessError');
}

describe('command allow-list', () => {
  it('should accept listed names and the running node binary, and refuse everything else by name', () => {
    expect(checkCommand('npx', DEFAULT_ALLOWED_COMMANDS)).toBe('npx');
    expect(checkCommand(process.execPath, DEFAULT_ALLOWED_COMMANDS)).toBe(process.execPath);
    for (const bad of ['bash', 'sh', 'curl', 'NODE', 'node ', 'rm']) {
      const error = failure(() => checkCommand(bad, DEFAULT_ALLOWED_COMMANDS));
      expect(error.code).toBe('COMMAND_NOT_ALLOWED');
      expect(error.message).toContain(JSON.stringify(bad));
    }
  });

  it('should refuse relative paths and absolute paths not listed exactly, even with an allowed basename', () => {
    for (const bad of ['./node', 'bin/node', '../npx', '/tmp/evil/node', '/usr/bin/../../tmp/npx']) {
      expect(failure(() => checkCommand(bad, DEFAULT_ALLOWED_COMMANDS)).code).toBe('COMMAND_NOT_ALLOWED');
    }
    expect(checkCommand('/opt/tools/../tools/run', ['/opt/tools/run'])).toBe('/opt/tools/run');
  });

  it('should refuse every command outside the list (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (command) => {
        if (DEFAULT_ALLOWED_COMMANDS.includes(command) || command === process.execPath) return;
        expect(() => checkCommand(command, DEFAULT_ALLOWED_COMMANDS)).toThrow(ProcessError);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('arguments', () => {
  it('should pass arguments through untouched, shell metacharacters included', () => {
    const args = ['; rm -rf /', '$(id)', '`id`', '|', '&&', '--output=/etc/passwd', '\'"', '%PATH%'];
    expect(resolveSpec({ command: 'node', args }, options()).args).toEqual(args);
  });

  it('should refuse NUL bytes, too many and too long arguments, naming the limit', () => {
    expect(failure(() => resolveSpec({ command: 'node', args: ['a\0b'] }, options())).message).toMatch(
      /args\[0\].*NUL/,
    );
    const many = Array.from({ length: LIMITS.maxArgs + 1 }, () => 'x');
    expect(failure(() => resolveSpec({ command: 'node', args: many }, options())).message).toContain(
      String(LIMITS.maxArgs),
    );
    const long = 'x'.repeat(LIMITS.maxArgChars + 1);
    expect(failure(() => resolveSpec({ command: 'node', args: [long] }, options())).message).toContain(
      String(LIMITS.maxArgChars),
    );
    expect(
      failure(() => resolveSpec({ command: 'node', args: [3 as unknown as string] }, options())).code,
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('environment', () => {
  const parent = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    SECRET_TOKEN: 's3cr3t-value',
    OTHER: 'x',
    FUNC: '() { :; }',
  };

  it('should give the child only the inherited set plus its own variables', () => {
    const spec = resolveSpec(
      { command: 'node', env: { MODE: 'fast' } },
      { ...options(parent), inheritEnv: ['PATH', 'HOME', 'FUNC'] },
    );
    expect(spec.env).toEqual({ PATH: '/usr/bin', HOME: '/home/u', MODE: 'fast' });
    expect(spec.envNames).toEqual(['HOME', 'MODE', 'PATH']);
  });

  it('should interpolate declared names only, in one pass, and keep $${NAME} literal', () => {
    const spec = resolveSpec(
      {
        command: 'node',
        env: { TOKEN: 'Bearer ${SECRET_TOKEN}', LITERAL: '$${SECRET_TOKEN}', NESTED: '${OTHER}' },
        passEnv: ['SECRET_TOKEN', 'OTHER'],
      },
      options({ ...parent, OTHER: '${SECRET_TOKEN}' }),
    );
    expect(spec.env.TOKEN).toBe('Bearer s3cr3t-value');
    expect(spec.env.LITERAL).toBe('${SECRET_TOKEN}');
    // The value of OTHER is not expanded again.
    expect(spec.env.NESTED).toBe('${SECRET_TOKEN}');
  });

  it('should refuse undeclared and unset names, naming the variable but never a value', () => {
    const undeclared = failure(() =>
      resolveSpec({ command: 'node', env: { TOKEN: '${SECRET_TOKEN}' } }, options(parent)),
    );
    expect(undeclared.code).toBe('ENV_NOT_DECLARED');
    expect(undeclared.message).toContain('SECRET_TOKEN');
    expect(undeclared.message).toContain('passEnv');
    const unset = failure(() =>
      resolveSpec({ command: 'node', env: { TOKEN: '${MISSING}' }, passEnv: ['MISSING'] }, options(parent)),
    );
    expect(unset.message).toContain('MISSING');
    // A bad entry after a secret one: the message names the entry, and no value appears anywhere.
    const bad = failure(() =>
      resolveSpec({ command: 'node', env: { KEY: 's3cr3t-value', 'BAD NAME': 'x' } }, options(parent)),
    );
    for (const error of [undeclared, unset, bad]) {
      expect(`${error.message} ${JSON.stringify(error.data ?? {})}`).not.toContain('s3cr3t-value');
    }
  });
});
