import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXPOSED_NAME_PATTERN, exposedName, exposedUri, NameRegistry, resolveUri } from './names.js';

const part = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }),
  fc.stringMatching(/^[a-z_]{1,40}$/),
  fc.constantFrom('a', 'a_', 'a__b', '_', '__', 'x'.repeat(70), 'é', 'tool/with:odd chars', '0'),
);

describe('exposed names', () => {
  it('should keep plain names plain when they are valid and unambiguous', () => {
    expect(exposedName('github', 'create_issue')).toBe('github__create_issue');
    expect(exposedName('fs', 'read__file')).toBe('fs__read__file');
  });

  it('should always be valid, deterministic, unique per pair, and map back (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(part, part), {
          minLength: 1,
          maxLength: 60,
          selector: ([s, t]) => `${s}\u0000${t}`,
        }),
        (pairs) => {
          const registry = new NameRegistry();
          const names = new Set<string>();
          for (const [skill, name] of pairs) {
            const exposed = registry.add(skill, name);
            expect(exposed).toBeDefined();
            expect(exposed).toMatch(EXPOSED_NAME_PATTERN);
            expect(exposed).toBe(exposedName(skill, name));
            expect(names.has(exposed as string)).toBe(false);
            names.add(exposed as string);
            expect(registry.resolve(exposed as string)).toEqual({ skill, name });
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('should not let a skill ending in _ or containing __ impersonate another pair', () => {
    const pairs: Array<[string, string]> = [
      ['a_', 'b'],
      ['a', '_b'],
      ['a__b', 'c'],
      ['a', 'b__c'],
    ];
    const names = pairs.map(([skill, name]) => exposedName(skill, name));
    expect(new Set(names).size).toBe(4);
  });

  it('should refuse a colliding name instead of shadowing a tool', () => {
    // ('x y', 'z') needs the hashed form x_y__z_<hash>; ('x_y', 'z_<hash>') produces the same string plainly.
    const hashed = exposedName('x y', 'z');
    const suffix = hashed.slice(hashed.lastIndexOf('_') + 1);
    expect(exposedName('x_y', `z_${suffix}`)).toBe(hashed);
    const registry = new NameRegistry();
    expect(registry.add('x y', 'z')).toBe(hashed);
    expect(registry.add('x_y', `z_${suffix}`)).toBeUndefined();
    expect(registry.resolve(hashed)).toEqual({ skill: 'x y', name: 'z' });
    registry.removeSkill('x y');
    expect(registry.resolve(hashed)).toBeUndefined();
  });
});

describe('exposed resource URIs', () => {
  it('should round-trip any skill and URI (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (skill, uri) => {
        expect(resolveUri(exposedUri(skill, uri))).toEqual({ skill, uri });
      }),
      { numRuns: 2000 },
    );
    expect(exposedUri('fs', 'file:///README.md')).toBe('mimo-skill://fs/file%3A%2F%2F%2FREADME.md');
    expect(resolveUri('file:///x')).toBeUndefined();
  });
});
