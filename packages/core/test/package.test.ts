import { fileURLToPath } from 'node:url';
import { checkPackage } from '@mimo-mcp/internal-testing/package-check';
import { describe, expect, it } from 'vitest';

describe('package', () => {
  it('should pass publint, import its one exports entry from dist, and export exactly its public API', async () => {
    const { problems, modules } = await checkPackage(fileURLToPath(new URL('..', import.meta.url)));
    expect(problems).toEqual([]);
    expect(Object.keys(modules)).toEqual(['.']);
    expect(Object.keys(modules['.'] ?? {}).sort()).toEqual([
      'Listeners',
      'MimoError',
      'formatIssue',
      'formatIssues',
      'isRecord',
      'rejectUnknownOptions',
    ]);
  });
});
