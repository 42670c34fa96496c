import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PromptSchema, parseJson, ResourceSchema, ToolSchema } from '@mimo-mcp/protocol-parser';
import { z } from 'zod';
import { canonical, type SkillConfig } from './config.js';
import type { Catalog } from './skill.js';

/** A cache file larger than this is ignored (and rewritten): catalogs are schemas, not data. */
const MAX_CACHE_BYTES = 32 * 1024 * 1024;

const EntrySchema = z.object({
  configHash: z.string(),
  savedAt: z.string(),
  tools: z.array(ToolSchema),
  prompts: z.array(PromptSchema),
  resources: z.array(ResourceSchema),
});
const CacheFileSchema = z.object({ version: z.literal(1), skills: z.record(z.string(), EntrySchema) });
type CacheEntry = z.infer<typeof EntrySchema>;

/** Identifies a skill's configuration: a changed entry (command, arguments, filters…) gets a new hash. */
export function configHash(config: SkillConfig): string {
  return createHash('sha256').update(canonical(config)).digest('hex').slice(0, 32);
}

/**
 * The persisted last discovery of each skill (tools, prompts, resources), in one JSON file keyed by skill
 * name and configuration hash, so that lazy skills can be listed before they ever start. Writes replace
 * the file atomically (a temporary file, then a rename) and are serialised. @internal
 */
export class CatalogCache {
  readonly path: string;
  #entries = new Map<string, CacheEntry>();
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Reads the file. A missing file is an empty cache; an unreadable, oversized or invalid one is also
   * treated as empty (and replaced at the next write), and the reason is returned.
   */
  async load(): Promise<Error | undefined> {
    try {
      const { size } = await stat(this.path);
      if (size > MAX_CACHE_BYTES) {
        return new Error(`${this.path} has ${size} bytes, over the limit of ${MAX_CACHE_BYTES}; ignored`);
      }
      const parsed = CacheFileSchema.safeParse(parseJson(await readFile(this.path, 'utf8')));
      if (!parsed.success) return new Error(`${this.path} is not a skill catalog cache; ignored`);
      this.#entries = new Map(Object.entries(parsed.data.skills));
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return error as Error;
    }
  }

  /** The cached catalog of `skill`, if it was discovered with this very configuration. */
  get(skill: string, config: SkillConfig): Catalog | undefined {
    const entry = this.#entries.get(skill);
    if (!entry || entry.configHash !== configHash(config)) return undefined;
    return { tools: entry.tools, prompts: entry.prompts, resources: entry.resources };
  }

  /** Records a fresh discovery; returns false when the cache already held exactly that. */
  set(skill: string, config: SkillConfig, catalog: Catalog): boolean {
    const hash = configHash(config);
    const previous = this.#entries.get(skill);
    if (
      previous?.configHash === hash &&
      canonical([previous.tools, previous.prompts, previous.resources]) ===
        canonical([catalog.tools, catalog.prompts, catalog.resources])
    ) {
      return false;
    }
    this.#entries.set(skill, { configHash: hash, savedAt: new Date().toISOString(), ...catalog });
    this.#dirty = true;
    return true;
  }

  /** Forgets every skill not in `names` (removed from the configuration). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.#entries.keys()) {
      if (!names.has(name)) {
        this.#entries.delete(name);
        this.#dirty = true;
      }
    }
  }

  /** Writes the file if anything changed since the last write; concurrent calls coalesce. */
  flush(): Promise<void> {
    this.#writing = this.#writing.catch(() => {}).then(() => this.#write());
    return this.#writing;
  }

  async #write(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    const text = JSON.stringify({ version: 1, skills: Object.fromEntries(this.#entries) });
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, this.path);
    } catch (error) {
      this.#dirty = true;
      await rm(temporary, { force: true }).catch(() => {});
      throw error;
    }
  }
}
