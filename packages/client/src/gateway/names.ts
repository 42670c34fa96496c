import { createHash } from 'node:crypto';

/** What clients accept as a tool or prompt name (the strictest common rule, 64 characters). */
export const EXPOSED_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_LENGTH = 64;
const SEPARATOR = '__';
const HASH_LENGTH = 8;

function sanitize(part: string): string {
  return part.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** Room for the two parts of a mangled name, beside the separator and the `_<hash>` suffix. */
const ROOM = MAX_LENGTH - SEPARATOR.length - HASH_LENGTH - 1;

/** The skill part of a mangled name: sanitised, at most half the room. */
function mangledSkillPart(skill: string): string {
  return (sanitize(skill) || 'x').slice(0, Math.max(1, Math.min(skill.length, Math.floor(ROOM / 2))));
}

function shortHash(skill: string, name: string): string {
  return createHash('sha256').update(`${skill}\u0000${name}`).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * The name a gateway exposes for `name` (a tool or prompt) of `skill`: `<skill>__<name>`, always matching
 * `^[a-zA-Z0-9_-]{1,64}$`. The plain form is used only when it is lossless and unambiguous (the skill part
 * has no `__` and does not end in `_`, so the first `__` marks the split); otherwise characters are
 * replaced, the parts are truncated, and a hash of the original pair is appended:
 * `<skill>__<name>_<8 hex>`. Deterministic: the same pair always gets the same name.
 *
 * @example
 * exposedName('github', 'create_issue'); // 'github__create_issue'
 * exposedName('my.server', 'tool/with:odd chars'); // 'my_server__tool_with_odd_chars_3f2a…'
 */
export function exposedName(skill: string, name: string): string {
  const plain = `${skill}${SEPARATOR}${name}`;
  const unambiguous =
    !skill.includes(SEPARATOR) && !skill.endsWith('_') && skill.length > 0 && name.length > 0;
  if (unambiguous && plain.length <= MAX_LENGTH && EXPOSED_NAME_PATTERN.test(plain)) return plain;
  const skillPart = mangledSkillPart(skill);
  const namePart = (sanitize(name) || 'x').slice(0, ROOM - skillPart.length);
  return `${skillPart}${SEPARATOR}${namePart}_${shortHash(skill, name)}`;
}

/**
 * The prefixes {@link exposedName} can give the names of `skill`'s tools and prompts: the plain
 * `<skill>__` and the mangled one. @internal
 */
export function exposedPrefixes(skill: string): string[] {
  return [...new Set([`${skill}${SEPARATOR}`, `${mangledSkillPart(skill)}${SEPARATOR}`])];
}

/**
 * Exposed names in both directions, refusing any collision (which the hash makes practically impossible,
 * but a name is never silently shadowed).
 */
export class NameRegistry {
  readonly #forward = new Map<string, string>();
  readonly #reverse = new Map<string, { skill: string; name: string }>();

  static #key(skill: string, name: string): string {
    return `${skill}\u0000${name}`;
  }

  /** Registers a pair; returns its exposed name, or `undefined` if that name is taken by another pair. */
  add(skill: string, name: string): string | undefined {
    const key = NameRegistry.#key(skill, name);
    const existing = this.#forward.get(key);
    if (existing) return existing;
    const exposed = exposedName(skill, name);
    const owner = this.#reverse.get(exposed);
    if (owner) return undefined;
    this.#forward.set(key, exposed);
    this.#reverse.set(exposed, { skill, name });
    return exposed;
  }

  /** The pair behind an exposed name. */
  resolve(exposed: string): { skill: string; name: string } | undefined {
    return this.#reverse.get(exposed);
  }

  /** Removes every name of `skill`. */
  removeSkill(skill: string): void {
    for (const [exposed, pair] of this.#reverse) {
      if (pair.skill !== skill) continue;
      this.#reverse.delete(exposed);
      this.#forward.delete(NameRegistry.#key(pair.skill, pair.name));
    }
  }

  get size(): number {
    return this.#reverse.size;
  }
}

const URI_SCHEME = 'mimo-skill:';
/** How every URI {@link exposedUri} makes begins. @internal */
export const EXPOSED_URI_PREFIX = `${URI_SCHEME}//`;

/**
 * The URI a gateway exposes for a skill's resource: `mimo-skill://<skill>/<encoded original URI>`, so two
 * skills' `file:///README.md` never collide and the original is recovered exactly.
 */
export function exposedUri(skill: string, uri: string): string {
  return `${URI_SCHEME}//${encodeURIComponent(skill)}/${encodeURIComponent(uri)}`;
}

/** The skill and original URI behind an exposed resource URI, or `undefined` if it is not one. */
export function resolveUri(exposed: string): { skill: string; uri: string } | undefined {
  const match = /^mimo-skill:\/\/([^/]+)\/(.+)$/.exec(exposed);
  if (!match) return undefined;
  try {
    return { skill: decodeURIComponent(match[1] as string), uri: decodeURIComponent(match[2] as string) };
  } catch {
    return undefined;
  }
}
