// Real git repositories for tests and benchmarks: bare "origin" repos with histories in temp
// dirs, work clones to commit and push from, and a fast-import generator for big histories.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const IDENTITY = ['-c', 'user.name=Test Author', '-c', 'user.email=author@example.org', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', '-c', 'init.defaultBranch=master'];
const ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };

/** Runs git with an argument array (no shell) in `cwd`; resolves to trimmed stdout. */
export function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...IDENTITY, ...args], { cwd, env: ENV, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr || error.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** A temp directory that `cleanup()` removes. */
export async function tempDir(prefix = 'stratus-git-'): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A bare origin repo and a work clone to change it through. */
export interface OriginRepo {
  name: string;
  /** Path of the bare repository. */
  path: string;
  /** `file://` URL of the bare repository. */
  url: string;
  /** A non-bare clone used to make commits and push them. */
  work: string;
}

/**
 * Creates `<root>/<name>.git` (bare) with a first commit on `master` adding `files`
 * (default a README), and a work clone at `<root>/<name>-work`.
 */
export async function createOrigin(root: string, name: string, files: Record<string, string> = { 'README.md': `# ${name}\n` }): Promise<OriginRepo> {
  const path = join(root, `${name}.git`);
  const work = join(root, `${name}-work`);
  await git(root, ['init', '-q', '--bare', path]);
  await git(root, ['init', '-q', work]);
  await git(work, ['remote', 'add', 'origin', path]);
  await commitFiles(work, files, 'initial commit');
  await git(work, ['push', '-q', 'origin', 'HEAD:refs/heads/master']);
  return { name, path, url: pathToFileURL(path).href, work };
}

/** Writes files in the work clone (on whatever is checked out) and commits them; returns the commit SHA. */
export async function commitFiles(work: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(work, file)), { recursive: true });
    await writeFile(join(work, file), content);
  }
  await git(work, ['add', '--', ...Object.keys(files)]);
  await git(work, ['commit', '-q', '-m', message]);
  return git(work, ['rev-parse', 'HEAD']);
}

/**
 * Commits `files` on `branch` of the origin through the work clone (creating the branch from
 * `from` when it does not exist yet) and pushes it; returns the new commit SHA.
 */
export async function commitOnBranch(repo: OriginRepo, branch: string, files: Record<string, string>, message: string, from = 'master'): Promise<string> {
  await git(repo.work, ['fetch', '-q', 'origin']);
  const exists = (await git(repo.path, ['branch', '--list', branch])) !== '';
  await git(repo.work, ['checkout', '-q', '-B', branch, exists ? `origin/${branch}` : `origin/${from}`]);
  const sha = await commitFiles(repo.work, files, message);
  await git(repo.work, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
  return sha;
}

/** The commit a ref of the origin points at (peeled), or null if it does not exist. */
export async function originRef(repo: OriginRepo | string, ref: string): Promise<string | null> {
  const path = typeof repo === 'string' ? repo : repo.path;
  try {
    return await git(path, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    return null;
  }
}

/** All refs of the origin with the objects they point at (to show "origin unchanged"). */
export async function originRefs(repo: OriginRepo | string): Promise<Record<string, string>> {
  const path = typeof repo === 'string' ? repo : repo.path;
  const out = await git(path, ['for-each-ref', '--format=%(refname) %(objectname)']);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]));
}

/** What an origin tag is: its object type, the commit it peels to and its message. */
export async function originTag(repo: OriginRepo, tag: string): Promise<{ type: string; commit: string; message: string } | null> {
  const commit = await originRef(repo, `refs/tags/${tag}`);
  if (commit === null) return null;
  const type = await git(repo.path, ['cat-file', '-t', `refs/tags/${tag}`]);
  const message = await git(repo.path, ['for-each-ref', '--format=%(contents)', `refs/tags/${tag}`]);
  return { type, commit, message };
}

/**
 * Creates a bare repository at `path` with `commits` linear commits on master using
 * `git fast-import` (about a second for 20,000 commits). Each commit rewrites one of 50 files.
 */
export async function fastImportRepo(path: string, commits: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await git(dirname(path), ['init', '-q', '--bare', path]);
  const child = spawn('git', ['fast-import', '--quiet'], { cwd: path, env: ENV, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited ${code}: ${stderr}`))));
  });
  const base = 1_700_000_000;
  let chunk = '';
  for (let i = 1; i <= commits; i++) {
    const content = `line ${i}\n`;
    const message = `commit ${i}\n`;
    chunk +=
      `commit refs/heads/master\nmark :${i}\ncommitter Bench <bench@example.org> ${base + i * 60} +0000\n` +
      `data ${Buffer.byteLength(message)}\n${message}` +
      (i > 1 ? `from :${i - 1}\n` : '') +
      `M 100644 inline file-${i % 50}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    if (chunk.length > 1 << 20 || i === commits) {
      if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
      chunk = '';
    }
  }
  child.stdin.end();
  await done;
}
