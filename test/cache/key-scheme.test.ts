import { describe, expect, it } from 'vitest';
import { userKeys, versionScanPatterns } from '../../src/cache/key-scheme.js';

/** Redis' glob for SCAN MATCH, enough of it for these patterns: `*`, `?`, `[...]` and `\` escapes. */
function redisGlobMatches(pattern: string, key: string): boolean {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] ?? '';
    if (char === '\\') {
      index += 1;
      source += (pattern[index] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = pattern.indexOf(']', index + 1);
      source += `[${pattern.slice(index + 1, close).replace(/\\/g, '\\\\')}]`;
      index = close;
    } else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(key);
}

/** The Redis Cluster hash tag: what is between the first `{` and the next `}`. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open === -1 || close <= open + 1 ? undefined : key.slice(open + 1, close);
}

describe('userKeys', () => {
  it('builds the exact keys of the scheme', () => {
    expect(userKeys('', '42', 'v2')).toEqual({
      entry: 'recs:{42}:v2',
      lease: 'recs:{42}:v2:lease',
      state: 'recs:{42}:state',
    });
  });

  it('puts the prefix in front of every key, once', () => {
    expect(userKeys('prod:', '42', 'v2')).toEqual({
      entry: 'prod:recs:{42}:v2',
      lease: 'prod:recs:{42}:v2:lease',
      state: 'prod:recs:{42}:state',
    });
  });

  it('gives all keys of one user the same hash tag, the user id', () => {
    const keys = userKeys('prod:', 'user-7', 'v3');
    expect([hashTag(keys.entry), hashTag(keys.lease), hashTag(keys.state)]).toEqual(['user-7', 'user-7', 'user-7']);
  });

  it('keeps versions apart but shares the state between them', () => {
    const v1 = userKeys('', '42', 'v1');
    const v2 = userKeys('', '42', 'v2');
    expect(v1.entry).not.toBe(v2.entry);
    expect(v1.lease).not.toBe(v2.lease);
    expect(v1.state).toBe(v2.state);
  });

  it.each([
    ['empty', ''],
    ['an opening brace', 'a{b'],
    ['a closing brace', 'a}b'],
    ['a forged hash tag', '42}:v2'],
    ['braces around it', '{42}'],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a newline', '42\n'],
    ['only white space', ' '],
  ])('rejects an id with %s', (_, userId) => {
    expect(() => userKeys('', userId, 'v1')).toThrow(TypeError);
  });

  it('accepts ids with other punctuation', () => {
    expect(userKeys('', 'a:b-c_d.e@f', 'v1').entry).toBe('recs:{a:b-c_d.e@f}:v1');
  });
});

describe('versionScanPatterns', () => {
  it('matches the lists and leases of one version', () => {
    expect(versionScanPatterns('', 'v1')).toEqual(['recs:{*}:v1', 'recs:{*}:v1:lease']);
    expect(versionScanPatterns('prod:', 'v1')).toEqual(['prod:recs:{*}:v1', 'prod:recs:{*}:v1:lease']);
  });

  it('matches exactly the keys it should', () => {
    const patterns = versionScanPatterns('prod:', 'v1');
    const matches = (key: string): boolean => patterns.some((pattern) => redisGlobMatches(pattern, key));
    expect(matches(userKeys('prod:', '42', 'v1').entry)).toBe(true);
    expect(matches(userKeys('prod:', '42', 'v1').lease)).toBe(true);
    expect(matches(userKeys('prod:', '42', 'v1').state)).toBe(false);
    expect(matches(userKeys('prod:', '42', 'v10').entry)).toBe(false);
    expect(matches(userKeys('prod:', '42', 'v2').entry)).toBe(false);
    expect(matches(userKeys('', '42', 'v1').entry)).toBe(false);
    expect(matches(userKeys('staging:', '42', 'v1').entry)).toBe(false);
  });

  it('escapes glob characters in the prefix and the version', () => {
    expect(versionScanPatterns('a*b?[c]\\:', 'v*1?')).toEqual([
      'a\\*b\\?\\[c\\]\\\\:recs:{*}:v\\*1\\?',
      'a\\*b\\?\\[c\\]\\\\:recs:{*}:v\\*1\\?:lease',
    ]);
  });

  it('so a version named with glob characters matches only itself', () => {
    const [lists] = versionScanPatterns('', 'v*');
    expect(redisGlobMatches(lists ?? '', userKeys('', '42', 'v*').entry)).toBe(true);
    expect(redisGlobMatches(lists ?? '', userKeys('', '42', 'v1').entry)).toBe(false);
    expect(redisGlobMatches(lists ?? '', userKeys('', '42', 'v*:lease').entry)).toBe(false);
    const [bracketed] = versionScanPatterns('[ab]:', 'v1');
    expect(redisGlobMatches(bracketed ?? '', userKeys('[ab]:', '42', 'v1').entry)).toBe(true);
    expect(redisGlobMatches(bracketed ?? '', userKeys('a:', '42', 'v1').entry)).toBe(false);
  });
});
