// Where the GitHub fake keeps a repository's refs: in memory (tags and branches as SHAs tests
// set), or in a real bare git repository (the "origin" the release train pushes to), where pull
// request merges make real merge commits and a pre-receive hook models protected branches.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a ref points at: a commit, or an annotated tag object. */
export interface RefObject { type: 'commit' | 'tag'; sha: string }
export interface TagObject { sha: string; tag: string; message: string; target: string; targetType: string }

/** How pushes to a protected branch are refused: classic branch protection (GH006) or a ruleset (GH013). */
export type ProtectionKind = 'branch-protection' | 'ruleset';

export interface RefStore {
  /** `ref` as GitHub's git API spells it: `tags/v1`, `heads/master`. */
  get(ref: string): Promise<RefObject | undefined>;
  tagObject(sha: string): Promise<TagObject | undefined>;
  /** A commit SHA for a SHA or branch name, or undefined. */
  commit(commitish: string): Promise<string | undefined>;
  /** Points `refs/<ref>` at `sha` (a lightweight tag or a branch). */
  set(ref: string, sha: string): Promise<void>;
  /** Merges `head` into `base`; undefined on a conflict. */
  merge(head: string, base: string, message: string): Promise<string | undefined>;
  protect(branch: string, kind: ProtectionKind | null): Promise<void>;
}

const SHA = /^[0-9a-f]{40}$/;

/** A deterministic fake SHA for in-memory repositories. */
export function fakeSha(seed: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 40; round++) {
    for (const c of `${seed}#${round}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 40);
}

export function memoryRefs(defaultBranch = 'master'): RefStore {
  const refs = new Map<string, RefObject>([[`heads/${defaultBranch}`, { type: 'commit', sha: fakeSha('initial') }]]);
  const tags = new Map<string, TagObject>();
  let merges = 0;
  return {
    get: async (ref) => refs.get(ref),
    tagObject: async (sha) => tags.get(sha),
    commit: async (c) => (SHA.test(c) ? c : refs.get(`heads/${c}`)?.sha),
    async set(ref, sha) {
      refs.set(ref, { type: 'commit', sha });
    },
    async merge(head, base) {
      const h = refs.get(`heads/${head}`);
      const sha = fakeSha(`merge-${++merges}-${head}-${base}-${h?.sha ?? ''}`);
      refs.set(`heads/${base}`, { type: 'commit', sha });
      return sha;
    },
    async protect() {
      // nothing pushes to an in-memory repository
    },
  };
}

const ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'GitHub', GIT_AUTHOR_EMAIL: 'noreply@github.com', GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com' };

function git(gitDir: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('git', ['--git-dir', gitDir, ...args], { env: ENV }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout.trim() });
    });
  });
}

const PROTECTION_FILE = 'stratus-fake-protected.json';

// The hook GitHub runs on its side, as a Node script (no shell): refuses updates of protected
// branches with GitHub's own wording; git prefixes each line with "remote: " on the pusher's side.
const HOOK = (node: string): string => `#!${node}
const { readFileSync } = require('node:fs');
let rules = {};
try { rules = JSON.parse(readFileSync(${JSON.stringify(PROTECTION_FILE)}, 'utf8')); } catch { process.exit(0); }
const lines = readFileSync(0, 'utf8').split('\\n').filter(Boolean);
for (const line of lines) {
  const ref = line.split(' ')[2];
  const kind = rules[ref];
  if (kind === 'branch-protection') {
    console.error('error: GH006: Protected branch update failed for ' + ref + '.');
    console.error('error: Changes must be made through a pull request.');
    process.exit(1);
  }
  if (kind === 'ruleset') {
    console.error('error: GH013: Repository rule violations found for ' + ref + '.');
    console.error('Review all repository rules at https://github.example/rules?ref=' + encodeURIComponent(ref));
    console.error('');
    console.error('- Changes must be made through a pull request.');
    process.exit(1);
  }
}
`;

export function gitRefs(gitDir: string): RefStore {
  return {
    async get(ref) {
      const { code, out } = await git(gitDir, ['for-each-ref', '--format=%(objecttype) %(objectname)', `refs/${ref}`]);
      const [type, sha] = out.split(' ');
      if (code !== 0 || !sha || (type !== 'commit' && type !== 'tag')) return undefined;
      return { type, sha };
    },
    async tagObject(sha) {
      if (!SHA.test(sha)) return undefined;
      const { code, out } = await git(gitDir, ['cat-file', 'tag', sha]);
      if (code !== 0) return undefined;
      const [head, ...message] = out.split('\n\n');
      const field = (name: string): string => new RegExp(`^${name} (.*)$`, 'm').exec(head)?.[1] ?? '';
      return { sha, tag: field('tag'), target: field('object'), targetType: field('type'), message: message.join('\n\n') };
    },
    async commit(commitish) {
      const ref = SHA.test(commitish) ? commitish : `refs/heads/${commitish}`;
      const { code, out } = await git(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
      return code === 0 && SHA.test(out) ? out : undefined;
    },
    async set(ref, sha) {
      await git(gitDir, ['update-ref', `refs/${ref}`, sha]);
    },
    async merge(head, base, message) {
      const tree = await git(gitDir, ['merge-tree', '--write-tree', `refs/heads/${base}`, `refs/heads/${head}`]);
      if (tree.code !== 0) return undefined;
      const baseSha = await this.commit(base);
      const headSha = await this.commit(head);
      if (!baseSha || !headSha) return undefined;
      const commit = await git(gitDir, ['commit-tree', tree.out.split('\n')[0], '-p', baseSha, '-p', headSha, '-m', message]);
      // update-ref runs no hooks: GitHub's own merge is not refused by its branch protection.
      await git(gitDir, ['update-ref', `refs/heads/${base}`, commit.out, baseSha]);
      return commit.out;
    },
    async protect(branch, kind) {
      const file = join(gitDir, PROTECTION_FILE);
      const rules = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, string>;
      if (kind) rules[`refs/heads/${branch}`] = kind;
      else delete rules[`refs/heads/${branch}`];
      await writeFile(file, JSON.stringify(rules));
      await mkdir(join(gitDir, 'hooks'), { recursive: true });
      const hook = join(gitDir, 'hooks', 'pre-receive');
      await writeFile(hook, HOOK(process.execPath));
      await chmod(hook, 0o755);
    },
  };
}
