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

/** `mimo doctor`: checks everything a working installation needs, and says what is wrong. */
export async function doctorCommand(config: MimoConfig, logger: Logger): Promise<number> {
  const checks: Array<{ check: string; ok: boolean; detail: string }> = [];
  const add = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  add('node', major > 20 || (major === 20 && minor >= 19), `v${process.versions.node} (needs ≥ 20.19)`);
  add('vector backend', true, `${backend.name} (${backend.simd}): ${backend.reason}`);
  add('configuration', true, config.configPath ?? 'no file (defaults, environment and flags)');
  let mimo: Awaited<ReturnType<typeof createMimo>> | undefined;
  try {
    mimo = await createMimo({ ...config, monitor: { ...config.monitor, intervalMs: 60_000 } }, logger);
    add('database', true, config.database.path);
    const integrity = await mimo.store.integrityCheck();
    add('database integrity', integrity === 'ok', integrity);
    try {
      const [vector] = await mimo.store.embedTexts(['mimo doctor']);
      add(
        'embedder',
        vector?.length === mimo.store.embedder.dimensions,
        `${mimo.store.embedder.id}, ${mimo.store.embedder.dimensions} dimensions`,
      );
    } catch (error) {
      add('embedder', false, (error as Error).message);
    }
    await mimo.gateway.start();
    for (const skill of mimo.gateway.skills()) {
      const ok = skill.health === 'ready' || skill.health === 'stopped' || skill.health === 'disabled';
      add(
        `skill ${skill.name}`,
        ok && !(skill.health === 'stopped' && skill.lastError),
        skill.lastError ? `${skill.health}: ${skill.lastError}` : `${skill.health}, ${skill.tools} tools`,
      );
    }
  } catch (error) {
    add('startup', false, (error as Error).message);
  } finally {
    await mimo?.close();
  }
  const width = Math.max(...checks.map((c) => c.check.length));
  for (const { check, ok, detail } of checks) {
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${check.padEnd(width)}  ${detail}\n`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
