import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  DEFAULT_MAX_LINE_BYTES,
  type ImportResult,
  type MemoryStore,
  MemoryStoreError,
  openMemoryStore,
} from '@mimo-mcp/memory-store';
import { backend } from '@mimo-mcp/vector-nif';
import type { Logger } from 'pino';
import { createEmbedder, createMimo } from './app.js';
import type { MimoConfig } from './config.js';

async function openStore(config: MimoConfig): Promise<MemoryStore> {
  if (config.database.path !== ':memory:') mkdirSync(dirname(config.database.path), { recursive: true });
  return openMemoryStore({
    path: config.database.path,
    namespace: config.namespace,
    synchronous: config.database.synchronous,
    embedder: createEmbedder(config),
  });
}

const progress = (label: string) => {
  let last = 0;
  return (count: number) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    process.stderr.write(`\r${label} ${count.toLocaleString('en-US')}`);
  };
};

const counted = (count: number, one: string, many: string) =>
  `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;

/** "3 memories, 2 entities, 1 relation" (what an import wrote). */
function importedSummary(counts: Pick<ImportResult, 'memories' | 'entities' | 'relations'>): string {
  return [
    counted(counts.memories, 'memory', 'memories'),
    counted(counts.entities, 'entity', 'entities'),
    counted(counts.relations, 'relation', 'relations'),
  ].join(', ');
}

/**
 * `mimo import <file>`: a Mimo JSONL export or the official memory server's `memory.jsonl`. Says where the
 * records went (namespaces and database), since another directory's default namespace will not show them.
 */
export async function importCommand(
  config: MimoConfig,
  file: string,
  options: { maxLineBytes?: number } = {},
): Promise<number> {
  if (!existsSync(file)) {
    process.stderr.write(`mimo import: ${file}: no such file\n`);
    return 1;
  }
  const store = await openStore(config);
  try {
    // Streamed in chunks; the importer splits lines itself and bounds them (maxLineBytes).
    const result = await store.importJsonl(createReadStream(file), {
      onProgress: progress('lines read:'),
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
    });
    const into = result.namespaces.length === 0 ? [config.namespace] : result.namespaces;
    process.stderr.write(
      `\nimported ${importedSummary(result)} (${counted(result.skipped, 'record', 'records')} already there) into namespace ${into.join(', ')} of ${config.database.path}\n` +
        (into.some((namespace) => namespace !== config.namespace)
          ? `  (this directory's namespace is ${config.namespace}: pass --namespace or MIMO_NAMESPACE, or search with namespace "*")\n`
          : ''),
    );
    process.stdout.write(`${JSON.stringify({ ...result, database: config.database.path }, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`\nmimo import: ${(error as Error).message}\n`);
    if (MemoryStoreError.isInstance(error) && error.code === 'IMPORT_INVALID') {
      const { imported, limit } = (error.data ?? {}) as { imported?: ImportResult; limit?: number };
      if (limit !== undefined)
        process.stderr.write(`  raise the limit with --max-line-bytes (default ${DEFAULT_MAX_LINE_BYTES})\n`);
      if (imported) {
        process.stderr.write(
          `  the batches written before it stay: ${importedSummary(imported)}; nothing from that line on was written ` +
            '(fix the file and import it again: records already there are skipped)\n',
        );
      }
    }
    return 1;
  } finally {
    await store.close();
  }
}

/**
 * Writes a file by writing a new one beside it and renaming it over the path: the path's old content (or
 * a symlink there, which is replaced, never followed) stays until the new file is complete.
 */
async function writeAtomically(
  path: string,
  write: (out: NodeJS.WritableStream) => Promise<void>,
): Promise<void> {
  const target = resolve(path);
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  // `wx`: the temporary name must be new, so nothing planted there (a symlink) is written through either.
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  try {
    await once(out, 'open');
    await write(out);
    out.end();
    await finished(out);
    renameSync(temp, target);
  } catch (error) {
    out.destroy();
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * `mimo export [-o file]`: every record as JSONL. `-o` writes a new file (mode 0600) and renames it over the
 * path, so a symlink at the path is replaced rather than written through, and a failed export leaves the
 * old file as it was.
 */
export async function exportCommand(
  config: MimoConfig,
  options: { output?: string; vectors: boolean },
): Promise<number> {
  const store = await openStore(config);
  try {
    let records = 0;
    const report = progress('records written:');
    const write = async (out: NodeJS.WritableStream) => {
      for await (const line of store.exportJsonl({ includeVectors: options.vectors })) {
        if (!out.write(line)) await once(out, 'drain');
        records++;
        if (options.output) report(records);
      }
    };
    if (options.output) {
      await writeAtomically(options.output, write);
      process.stderr.write(
        `\rrecords written: ${records.toLocaleString('en-US')} to ${resolve(options.output)}\n`,
      );
    } else {
      await write(process.stdout);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`\nmimo export: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

/** `mimo stats`: counts and sizes as JSON. */
export async function statsCommand(config: MimoConfig): Promise<number> {
  const store = await openStore(config);
  try {
    const stats = await store.stats({ namespace: '*' });
    process.stdout.write(
      `${JSON.stringify({ database: config.database.path, namespaces: await store.namespaces(), ...stats }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** How long one doctor check may take before it is reported as failed (none may hang the doctor). */
export const DOCTOR_CHECK_TIMEOUT_MS = 15_000;

type CheckStatus = 'ok' | 'warn' | 'FAIL';

/**
 * Runs `run` with an abort signal, failing with "no answer within …" when it takes longer than `timeoutMs`.
 * The timer is a referenced one on purpose: while a check waits (say, on an embedder's retry backoff, whose
 * timers are unref'd), it keeps the process alive until the check has an outcome to print.
 */
async function bounded<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([run(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `mimo doctor`: checks everything a working installation needs and prints one line per check as it ends
 * (`ok`, `warn` or `FAIL`), then a last `verdict:` line. Every check is bounded by a timeout. Exit status 1
 * when a check failed, 0 otherwise (warnings included).
 */
export async function doctorCommand(
  config: MimoConfig,
  logger: Logger,
  options: { timeoutMs?: number } = {},
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DOCTOR_CHECK_TIMEOUT_MS;
  const results: Array<{ check: string; status: CheckStatus }> = [];
  const report = (check: string, status: CheckStatus, detail: string) => {
    results.push({ check, status });
    process.stdout.write(`${status.padEnd(4)}  ${check.padEnd(18)}  ${detail}\n`);
  };
  const check = async (name: string, run: (signal: AbortSignal) => Promise<[CheckStatus, string]>) => {
    try {
      const [status, detail] = await bounded(timeoutMs, run);
      report(name, status, detail);
      return status !== 'FAIL';
    } catch (error) {
      report(name, 'FAIL', (error as Error)?.message ?? String(error));
      return false;
    }
  };

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  report(
    'node',
    major > 20 || (major === 20 && minor >= 19) ? 'ok' : 'FAIL',
    `v${process.versions.node} (needs ≥ 20.19)`,
  );
  report('vector backend', 'ok', `${backend.name} (${backend.simd}): ${backend.reason}`);
  report('configuration', 'ok', config.configPath ?? 'no file (defaults, environment and flags)');
  let mimo: Awaited<ReturnType<typeof createMimo>> | undefined;
  await check('startup', async () => {
    mimo = await createMimo({ ...config, monitor: { ...config.monitor, intervalMs: 60_000 } }, logger);
    return ['ok', `database ${config.database.path}`];
  });
  if (mimo) {
    const { store, gateway } = mimo;
    await check('database integrity', async () => {
      const integrity = await store.integrityCheck();
      return [integrity === 'ok' ? 'ok' : 'FAIL', integrity];
    });
    await check('namespace', async () => {
      const others = (await store.namespaces()).filter((namespace) => namespace !== config.namespace);
      return [
        'ok',
        `${config.namespace}${others.length > 0 ? ` (the database also holds ${others.join(', ')}: use --namespace, or namespace "*" in a search)` : ''}`,
      ];
    });
    await check('embedder', async (signal) => {
      const [vector] = await store.embedTexts(['mimo doctor'], signal);
      const ok = vector?.length === store.embedder.dimensions;
      return [ok ? 'ok' : 'FAIL', `${store.embedder.id}, ${store.embedder.dimensions} dimensions`];
    });
    await check('pending embeddings', async () => {
      const { pendingEmbeddings, backfill } = await store.stats({ namespace: '*' });
      if (pendingEmbeddings === 0) return ['ok', 'none'];
      const next = backfill.nextAttemptAt ? `, next attempt ${backfill.nextAttemptAt}` : '';
      const last = backfill.lastError ? `; last error: ${backfill.lastError}` : '';
      return [
        'warn',
        `${pendingEmbeddings} ${pendingEmbeddings === 1 ? 'memory has' : 'memories have'} no vector yet (keyword search finds them; the server embeds them in the background once the embedder answers: backfill ${backfill.state}${next}${last})`,
      ];
    });
    const started = await check('skills', async (signal) => {
      const startAll = async () => {
        await gateway.start();
        // Lazy skills listed from the catalog cache were not started: the doctor starts them to see them run.
        await Promise.all(
          gateway
            .skills()
            .filter((skill) => skill.health === 'stopped' && !skill.lastError)
            .map((skill) => gateway.restartSkill(skill.name, { signal }).catch(() => {})),
        );
      };
      await Promise.race([
        startAll(),
        new Promise<never>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        ),
      ]);
      return ['ok', `${gateway.skills().length} configured`];
    });
    if (started) {
      for (const skill of gateway.skills()) {
        const ok = skill.health === 'ready' || skill.health === 'stopped' || skill.health === 'disabled';
        report(
          `skill ${skill.name}`,
          ok && !(skill.health === 'stopped' && skill.lastError) ? 'ok' : 'FAIL',
          skill.lastError ? `${skill.health}: ${skill.lastError}` : `${skill.health}, ${skill.tools} tools`,
        );
      }
    }
    await bounded(timeoutMs, () => (mimo as NonNullable<typeof mimo>).close()).catch((error: unknown) =>
      report('shutdown', 'FAIL', (error as Error)?.message ?? String(error)),
    );
  }
  const failed = results.filter((result) => result.status === 'FAIL').map((result) => result.check);
  const warned = results.filter((result) => result.status === 'warn').map((result) => result.check);
  const warnings =
    warned.length === 0
      ? ''
      : `${warned.length} ${warned.length === 1 ? 'warning' : 'warnings'} (${warned.join(', ')})`;
  process.stdout.write(
    failed.length === 0
      ? `verdict: all ok${warnings ? `, ${warnings}` : ''}\n`
      : `verdict: ${failed.length} ${failed.length === 1 ? 'problem' : 'problems'} (${failed.join(', ')})${warnings ? `; ${warnings}` : ''}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}
