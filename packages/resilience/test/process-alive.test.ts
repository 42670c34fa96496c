import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dist = new URL('../dist/index.js', import.meta.url).href;
const run = promisify(execFile);

describe('retry in a process with nothing else to do', () => {
  it("should keep the process alive through its backoff and finish (bug: an unref'd wait let Node exit mid-retry, printing nothing)", async () => {
    // The only pending work is the retry's wait: a CLI calling an embedder that is down, say.
    const script = `
      import { retry } from ${JSON.stringify(dist)};
      let attempts = 0;
      const result = await retry({ maxAttempts: 3, initialDelayMs: 200, random: () => 0.99, shouldRetry: () => true })
        .execute(async () => { if (++attempts < 3) throw new Error('down'); return 'answered after ' + attempts; });
      process.stdout.write(result);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(stdout).toBe('answered after 3');
  });
});
