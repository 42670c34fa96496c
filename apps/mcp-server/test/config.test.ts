import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, readTokenFile } from '../src/config.js';

const dir = () => mkdtempSync(join(tmpdir(), 'mimo-config-'));
const failure = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('ConfigError', () => {
  it('should carry a code saying what kind of problem it is (bug: a message only)', () => {
    const home = dir();
    const env = { HOME: home, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home };
    expect(failure(() => loadConfig({ config: join(home, 'missing.json') }, env, home))).toMatchObject({
      code: 'FILE_NOT_FOUND',
      message: expect.stringMatching(/missing\.json: no such file \(from --config\)/),
    });
    const broken = join(home, 'broken.json');
    writeFileSync(broken, '{ nope');
    expect(failure(() => loadConfig({ config: broken }, env, home))).toMatchObject({
      code: 'INVALID_FILE',
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(failure(() => loadConfig({}, { ...env, MIMO_EMBEDDER: 'nonsense' }, home)).code).toBe(
      'INVALID_VALUE',
    );
    const tokens = join(home, 'tokens');
    writeFileSync(tokens, 'short\n', { mode: 0o600 });
    expect(failure(() => readTokenFile(tokens, '--token-file', [])).code).toBe('INVALID_TOKEN');
  });
});
