import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import {
  CODENAME_LETTERS,
  InvalidNameError,
  generateCodename,
  isValidRefName,
  nextPatchNumber,
  parseReleaseTag,
  releaseBranchName,
  releaseTagName,
  renderTagMessage,
  targetBranch,
  validateRefName,
  validateTagMessageTemplate,
  validateVersion,
} from '../../workflows/release-names.js';

describe('versions', () => {
  it('accepts positive whole numbers, as numbers or digit strings', () => {
    expect(validateVersion(31)).toBe(31);
    expect(validateVersion('31')).toBe(31);
    expect(releaseBranchName(31)).toBe('v31');
    expect(releaseTagName('31', 2)).toBe('v31-2');
  });

  it.each([
    ['abc', '"abc"'],
    [-1, '"-1"'],
    [0, '"0"'],
    [1.5, '"1.5"'],
    ['', '""'],
    ['031', '"031"'],
    [null, '"null"'],
  ])('rejects %j with a message naming the field version', (bad, shown) => {
    expect(() => validateVersion(bad)).toThrow(`version must be a positive whole number (e.g. 31), got ${shown}`);
    expect(() => validateVersion(bad)).toThrow(InvalidNameError);
  });

  it('names the field it was given, and the patch number n', () => {
    let error: unknown;
    try {
      validateVersion('x', 'release.version');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ field: 'release.version', value: 'x' });
    expect(() => releaseTagName(31, 0)).toThrow('n must be a positive whole number (1 for the release, 2+ for patches), got "0"');
  });

  it('release target branch: v<N> or the master branch', () => {
    expect(targetBranch('release-branch', 31, 'master')).toBe('v31');
    expect(targetBranch('master', 31, 'main')).toBe('main');
  });
});

describe('release tags', () => {
  it('parses v<N>-<k> and nothing else', () => {
    expect(parseReleaseTag('v31-1')).toEqual({ version: 31, n: 1 });
    expect(parseReleaseTag('refs/tags/v31-12')).toEqual({ version: 31, n: 12 });
    for (const bad of ['v31', 'v31-0', 'v031-1', '31-1', 'v31-1a', 'v31-1-rc']) expect(parseReleaseTag(bad)).toBeNull();
  });

  it('the next patch number follows the highest tag of that version only', () => {
    expect(nextPatchNumber(31, [])).toBe(1);
    expect(nextPatchNumber(31, ['v30-1', 'v30-7', 'v32-1'])).toBe(1);
    expect(nextPatchNumber(31, ['v31-1', 'v31-3', 'v31-2', 'v30-9', 'junk', 'refs/tags/v31-10'])).toBe(11);
    expect(() => nextPatchNumber('abc', [])).toThrow('version must be a positive whole number');
  });

  it('tag name round-trips through the parser (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99999 }), fc.integer({ min: 1, max: 999 }), (v, n) => {
        const tag = releaseTagName(v, n);
        expect(parseReleaseTag(tag)).toEqual({ version: v, n });
        expect(isValidRefName(tag)).toBe(true);
        expect(nextPatchNumber(v, [tag])).toBe(n + 1);
      }),
    );
  });
});

describe('tag message template', () => {
  it('renders the placeholders', () => {
    expect(renderTagMessage('v{version} ({codename}) release {n}.', { version: 31, codename: 'zesty-zenaida', n: 1 })).toBe(
      'v31 (zesty-zenaida) release 1.',
    );
    expect(renderTagMessage('Release {version}-{n}', { version: '7', n: '2' })).toBe('Release 7-2');
  });

  it('names every unknown placeholder as a config error', () => {
    expect(() => validateTagMessageTemplate('v{version} {name} {date} {name}')).toThrow(
      'tagMessage has unknown placeholder(s) {name}, {date} (known: {version}, {codename}, {n})',
    );
    expect(() => validateTagMessageTemplate('', 'release.tagMessage')).toThrow('release.tagMessage must not be empty');
  });

  it('needs a codename when the template uses one', () => {
    expect(() => renderTagMessage('v{version} ({codename})', { version: 31, n: 1 })).toThrow('codename is required because tagMessage uses {codename}');
  });
});

describe('ref names (git check-ref-format rules)', () => {
  it.each([
    ['v31', null],
    ['feature/x-1', null],
    ['a..b', 'must not contain ".."'],
    ['has space', 'spaces or control characters'],
    ['tab\there', 'spaces or control characters'],
    ['a~1', 'must not contain "~"'],
    ['a^', 'must not contain "^"'],
    ['a:b', 'must not contain ":"'],
    ['a?', 'must not contain "?"'],
    ['a*', 'must not contain "*"'],
    ['a[b', 'must not contain "["'],
    ['a\\b', 'must not contain "\\"'],
    ['-rf', 'must not start with "-"'],
    ['.hidden', 'no part may start with "."'],
    ['x/.y', 'no part may start with "."'],
    ['main.lock', 'no part may end with ".lock"'],
    ['a.lock/b', 'no part may end with ".lock"'],
    ['a@{1}', 'must not contain "@{"'],
    ['@', 'must not be "@"'],
    ['a/', 'must not start or end with "/"'],
    ['/a', 'must not start or end with "/"'],
    ['a//b', 'must not contain "//"'],
    ['a.', 'must not end with "."'],
    ['', 'it is empty'],
  ])('%j → %s', (name, problem) => {
    if (problem === null) {
      expect(validateRefName(name)).toBe(name);
    } else {
      expect(() => validateRefName(name, 'tag')).toThrow('tag is not a valid git ref name: ');
      expect(() => validateRefName(name, 'tag')).toThrow(problem);
    }
  });

  it('agrees with the real `git check-ref-format --allow-onelevel` (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', '1', '-', '.', '/', '@', '{', '~', '^', ':', ' ', '*', '[', '\\', 'l', 'o', 'c', 'k', 'é', '\x7f');
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 1, maxLength: 8 }).map((cs) => cs.join('')), (name) => {
        const git = spawnSync('git', ['check-ref-format', '--allow-onelevel', name]).status === 0;
        // We additionally refuse a leading "-", which git accepts in plain ref names.
        expect(isValidRefName(name)).toBe(git && !name.startsWith('-'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('codenames', () => {
  it('are deterministic, alliterative adjective-bird pairs', () => {
    expect(generateCodename(31)).toBe(generateCodename('31'));
    const [adjective, bird] = generateCodename(31).split('-');
    expect(adjective[0]).toBe(bird[0]);
  });

  it('cover about twenty letters over consecutive versions', () => {
    const letters = new Set(Array.from({ length: 60 }, (_, i) => generateCodename(i + 1)[0]));
    expect(CODENAME_LETTERS.length).toBeGreaterThanOrEqual(20);
    expect(letters.size).toBe(CODENAME_LETTERS.length);
    expect(generateCodename(31)[0]).not.toBe(generateCodename(32)[0]);
  });

  it('every generated name is a valid ref name and alliterates (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 1e9 }), fc.string()), (seed) => {
        const name = generateCodename(seed);
        expect(name).toMatch(/^([a-z])[a-z]*-\1[a-z]*$/);
        expect(isValidRefName(name)).toBe(true);
      }),
    );
  });
});
