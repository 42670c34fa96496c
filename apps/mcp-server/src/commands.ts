import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { finished } from 'node:stream/promises';
import { type MemoryStore, openMemoryStore } from '@mimo-mcp/memory-store';
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

/** `mimo import <file>`: a Mimo JSONL export or the official memory server's `memory.jsonl`. */
export async function importCommand(config: MimoConfig, file: string): Promise<number> {
  if (!existsSync(file)) {
    process.stderr.write(`mimo import: ${file}: no such file\n`);
    return 1;
  }
  const store = await openStore(config);
  try {
    // Streamed in chunks; the importer splits lines itself (and bounds them).
    const result = await store.importJsonl(createReadStream(file), { onProgress: progress('lines read:') });
    process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`\nmimo import: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

/** `mimo export [-o file]`: every record as JSONL. */
export async function exportCommand(
  config: MimoConfig,
  options: { output?: string; vectors: boolean },
): Promise<number> {
  const store = await openStore(config);
  const out: NodeJS.WritableStream = options.output ? createWriteStream(options.output) : process.stdout;
  try {
    let records = 0;
    const report = progress('records written:');
    for await (const line of store.exportJsonl({ includeVectors: options.vectors })) {
      if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      records++;
      if (options.output) report(records);
    }
    if (options.output) {
      out.end();
      await finished(out);
      process.stderr.write(`\rrecords written: ${records.toLocaleString('en-US')}\n`);
    }
    return 0;
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
    // Lazy skills listed from the catalog cache were not started: the doctor starts them to see them run.
    await Promise.all(
      mimo.gateway
        .skills()
        .filter((skill) => skill.health === 'stopped' && !skill.lastError)
        .map((skill) => mimo?.gateway.restartSkill(skill.name).catch(() => {})),
    );
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
