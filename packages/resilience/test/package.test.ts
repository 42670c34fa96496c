import { fileURLToPath } from 'node:url';
import { checkPackage } from '@mimo-mcp/internal-testing/package-check';
import { describe, expect, it } from 'vitest';

describe('package', () => {
  it('should pass publint and import every exports entry from dist', async () => {
    const result = await checkPackage(fileURLToPath(new URL('..', import.meta.url)));
    expect(result.problems).toEqual([]);
    expect(Object.keys(result.modules)).toContain('.');
  });

  it('should export exactly its public API', async () => {
    expect(Object.keys(await import('../dist/index.js')).sort()).toMatchInlineSnapshot(`
      [
        "ResilienceError",
        "bulkhead",
        "circuitBreaker",
        "consecutiveBreaker",
        "createBreakerRegistry",
        "fallback",
        "fullJitterDelay",
        "retry",
        "samplingBreaker",
        "sleep",
        "timeout",
        "wrap",
      ]
    `);
  });
});
