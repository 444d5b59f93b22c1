// Validation of names before they reach GitHub/JIRA URLs or queries.
import { InvalidNameError } from './github-errors.js';

const SLUG = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** Splits and validates "owner/name". */
export function parseRepoSlug(ownerRepo: string): { owner: string; repo: string } {
  if (typeof ownerRepo !== 'string' || !SLUG.test(ownerRepo)) {
    throw new InvalidNameError('GitHub repository', String(ownerRepo), 'expected "owner/name" (letters, digits, "-", "_", ".")');
  }
  const [owner, repo] = ownerRepo.split('/');
  if (repo === '.' || repo === '..') throw new InvalidNameError('GitHub repository', ownerRepo, 'the name may not be "." or ".."');
  return { owner, repo };
}

/** Enforces the rules of `git check-ref-format` for a tag or branch name, and no leading "-". */
export function assertRefName(field: string, name: string): void {
  const fail = (rule: string): never => {
    throw new InvalidNameError(field, String(name), rule);
  };
  if (typeof name !== 'string' || name.length === 0) fail('must not be empty');
  if (name.startsWith('-')) fail('must not start with "-"');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) fail('must not contain spaces, control characters or any of ~^:?*[\\');
  if (name.includes('..') || name.includes('@{') || name.includes('//')) fail('must not contain "..", "@{" or "//"');
  if (name === '@' || name.startsWith('/') || name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock')) {
    fail('must not start or end with "/", end with "." or ".lock", or be "@"');
  }
  if (name.split('/').some((part) => part.startsWith('.'))) fail('no path component may start with "."');
}

/** Labels and stream keys: a conservative charset that is safe in JQL, URLs and GitHub labels. */
export function assertLabel(field: string, value: string): void {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(value)) {
    throw new InvalidNameError(field, String(value), 'use letters, digits, ".", "_" and "-" (at most 100), starting with a letter or digit');
  }
}
