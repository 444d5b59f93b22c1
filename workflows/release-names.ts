// Pure naming rules for the release train: versions, branch and tag names, tag messages,
// git ref-name validation and codenames. No Temporal import: used by workflows, activities,
// the git adapter and the config schema alike.

/** A name, version or template that breaks the rules; `field` names what the user must fix. */
export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
  constructor(
    readonly field: string,
    readonly value: string,
    reason: string,
  ) {
    super(`${field} ${reason}, got ${JSON.stringify(value)}`);
  }
}

/**
 * Validates a release version (a positive whole number, given as a number or a string of digits)
 * and returns it as a number. Throws {@link InvalidNameError} naming `field` otherwise.
 */
export function validateVersion(value: unknown, field = 'version'): number {
  return positiveWhole(value, field, 'must be a positive whole number (e.g. 31)');
}

/** Validates a patch number `n` of a release tag (`v31-<n>`): a positive whole number. */
export function validatePatchNumber(value: unknown, field = 'n'): number {
  return positiveWhole(value, field, 'must be a positive whole number (1 for the release, 2+ for patches)');
}

function positiveWhole(value: unknown, field: string, reason: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new InvalidNameError(field, describe(value), reason);
  return Number(text);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
}

/** The release branch of version N: `v<N>`. */
export function releaseBranchName(version: number | string): string {
  return `v${validateVersion(version)}`;
}

/** The tag of release N, patch k: `v<N>-<k>` (`v31-1` is the release, `v31-2` the first patch). */
export function releaseTagName(version: number | string, n: number | string): string {
  return `v${validateVersion(version)}-${validatePatchNumber(n)}`;
}

/** Parses `v<N>-<k>` (also `refs/tags/v<N>-<k>`); anything else gives `null`. */
export function parseReleaseTag(tag: string): { version: number; n: number } | null {
  const m = /^(?:refs\/tags\/)?v([1-9]\d{0,8})-([1-9]\d{0,8})$/.exec(tag);
  return m ? { version: Number(m[1]), n: Number(m[2]) } : null;
}

/** The next patch number of `version` given existing tag names: 1 if it has no tags yet. */
export function nextPatchNumber(version: number | string, existingTags: readonly string[]): number {
  const v = validateVersion(version);
  let highest = 0;
  for (const tag of existingTags) {
    const parsed = parseReleaseTag(tag);
    if (parsed && parsed.version === v && parsed.n > highest) highest = parsed.n;
  }
  return highest + 1;
}

/** Which ref a repo releases from: its release branch `v<N>` or the master branch. */
export type ReleaseTarget = 'release-branch' | 'master';

/** The branch a repo's release of version N is cut and tagged from. */
export function targetBranch(target: ReleaseTarget, version: number | string, masterBranch: string): string {
  return target === 'release-branch' ? releaseBranchName(version) : masterBranch;
}

/** Values a tag message template may use. */
export interface TagMessageValues {
  version: number | string;
  n: number | string;
  codename?: string;
}

export const TAG_MESSAGE_PLACEHOLDERS = ['version', 'codename', 'n'] as const;
const PLACEHOLDER = /\{([^{}\s]*)\}/g;

/**
 * Checks a tag message template such as `"v{version} ({codename}) release {n}."`; throws an
 * {@link InvalidNameError} on `field` naming every unknown placeholder. Returns the placeholders used.
 */
export function validateTagMessageTemplate(template: string, field = 'tagMessage'): string[] {
  if (template.trim() === '') throw new InvalidNameError(field, template, 'must not be empty');
  const used = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
  const unknown = [...new Set(used.filter((p) => !(TAG_MESSAGE_PLACEHOLDERS as readonly string[]).includes(p)))];
  if (unknown.length > 0) {
    const names = unknown.map((p) => `{${p}}`).join(', ');
    const known = TAG_MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
    throw new InvalidNameError(field, template, `has unknown placeholder(s) ${names} (known: ${known})`);
  }
  return [...new Set(used)];
}

/** Renders a tag message template; a template using `{codename}` needs a codename. */
export function renderTagMessage(template: string, values: TagMessageValues, field = 'tagMessage'): string {
  const used = validateTagMessageTemplate(template, field);
  if (used.includes('codename') && !values.codename) {
    throw new InvalidNameError('codename', String(values.codename ?? ''), `is required because ${field} uses {codename}`);
  }
  const rendered: Record<string, string> = {
    version: String(validateVersion(values.version)),
    n: String(validatePatchNumber(values.n)),
    codename: values.codename ?? '',
  };
  return template.replace(PLACEHOLDER, (_all, name: string) => rendered[name]);
}

/**
 * Validates a branch or tag name by the rules of `git check-ref-format --allow-onelevel`, and
 * additionally refuses a leading `-` (it would read as an option). Throws {@link InvalidNameError}
 * on `field` with the broken rule; returns the name.
 */
export function validateRefName(name: string, field = 'ref'): string {
  const problem = refNameProblem(name);
  if (problem) throw new InvalidNameError(field, name, `is not a valid git ref name: ${problem}`);
  return name;
}

/** Whether `name` passes {@link validateRefName}. */
export function isValidRefName(name: string): boolean {
  return refNameProblem(name) === null;
}

function refNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name === '') return 'it is empty';
  if (name.startsWith('-')) return 'it must not start with "-"';
  if (name === '@') return 'it must not be "@"';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(name)) return 'it must not contain spaces or control characters';
  const bad = /[~^:?*[\\]/.exec(name);
  if (bad) return `it must not contain "${bad[0]}"`;
  if (name.includes('..')) return 'it must not contain ".."';
  if (name.includes('@{')) return 'it must not contain "@{"';
  if (name.startsWith('/') || name.endsWith('/')) return 'it must not start or end with "/"';
  if (name.includes('//')) return 'it must not contain "//"';
  if (name.endsWith('.')) return 'it must not end with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'no part may start with "."';
    if (part.endsWith('.lock')) return 'no part may end with ".lock"';
  }
  return null;
}

// Adjectives and birds by initial letter: a codename is an alliterative pair (`zesty-zenaida`).
const WORDS: Record<string, [adjectives: string[], birds: string[]]> = {
  a: [['agile', 'amber', 'ardent', 'astute'], ['albatross', 'auk', 'avocet']],
  b: [['bold', 'brave', 'breezy', 'bright'], ['bittern', 'bluebird', 'bunting', 'buzzard']],
  c: [['calm', 'clever', 'cosmic', 'crisp'], ['cardinal', 'condor', 'crane', 'curlew']],
  d: [['dapper', 'daring', 'dashing', 'dusky'], ['dipper', 'dove', 'dunlin']],
  e: [['eager', 'early', 'earnest', 'electric'], ['eagle', 'egret', 'eider']],
  f: [['fearless', 'fleet', 'frosty', 'fuzzy'], ['falcon', 'finch', 'flamingo', 'flycatcher']],
  g: [['gentle', 'gleaming', 'golden', 'grand'], ['gannet', 'godwit', 'goldfinch', 'grebe']],
  h: [['hardy', 'hasty', 'humble', 'hushed'], ['harrier', 'heron', 'hoopoe', 'hornbill']],
  i: [['icy', 'idle', 'indigo', 'iron'], ['ibis', 'iiwi']],
  j: [['jaunty', 'jolly', 'jovial', 'jubilant'], ['jacana', 'jackdaw', 'jay', 'junco']],
  k: [['keen', 'kind', 'kinetic', 'knightly'], ['kestrel', 'kingfisher', 'kite', 'kiwi']],
  l: [['lively', 'lucid', 'lunar', 'lush'], ['lapwing', 'lark', 'linnet', 'loon']],
  m: [['mellow', 'merry', 'mighty', 'misty'], ['magpie', 'mallard', 'martin', 'merlin']],
  n: [['nifty', 'nimble', 'noble', 'northern'], ['nighthawk', 'nightingale', 'noddy', 'nuthatch']],
  o: [['olive', 'opal', 'orderly', 'outgoing'], ['oriole', 'osprey', 'ostrich', 'owl']],
  p: [['peppy', 'plucky', 'polar', 'proud'], ['pelican', 'petrel', 'plover', 'puffin']],
  q: [['quick', 'quiet', 'quirky'], ['quail', 'quetzal']],
  r: [['radiant', 'rapid', 'rosy', 'rustic'], ['raven', 'redstart', 'robin', 'rook']],
  s: [['silver', 'steady', 'sunny', 'swift'], ['sandpiper', 'shrike', 'sparrow', 'swallow']],
  t: [['tawny', 'tidy', 'tranquil', 'trusty'], ['tanager', 'tern', 'thrush', 'toucan']],
  v: [['valiant', 'velvet', 'vigilant', 'vivid'], ['verdin', 'vireo', 'vulture']],
  w: [['wild', 'windy', 'wise', 'witty'], ['warbler', 'waxwing', 'woodpecker', 'wren']],
  z: [['zany', 'zealous', 'zesty', 'zippy'], ['zebrafinch', 'zenaida']],
};

/** The initial letters {@link generateCodename} may pick. */
export const CODENAME_LETTERS: readonly string[] = Object.keys(WORDS);

/**
 * A deterministic alliterative adjective-bird codename (`zesty-zenaida`) for a seed such as a
 * version number: the same seed always gives the same name; neighbouring versions differ in letter.
 */
export function generateCodename(seed: number | string): string {
  const text = String(seed);
  const letter = /^\d+$/.test(text)
    ? CODENAME_LETTERS[Number(BigInt(text) % BigInt(CODENAME_LETTERS.length))]
    : CODENAME_LETTERS[fnv1a(text) % CODENAME_LETTERS.length];
  const [adjectives, birds] = WORDS[letter];
  const h = fnv1a(`codename:${text}`);
  return `${adjectives[h % adjectives.length]}-${birds[Math.floor(h / 7) % birds.length]}`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
