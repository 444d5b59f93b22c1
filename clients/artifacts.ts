// Collects what a build wrote into its output dir: every regular file, its kind, streaming
// SHA-256 and size, with names checked so nothing can point outside the dir.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { type ArtifactKind, type ArtifactRecord } from '../workflows/image-types.js';

/** An artifact plus where it lies on disk. */
export interface CollectedArtifact extends ArtifactRecord {
  /** Absolute path (for a symlink: the link itself; reading it reads the target inside the dir). */
  path: string;
}

/** Limits of {@link collectArtifacts}. */
export interface CollectOptions {
  /** Refuse more files than this (default 1000). */
  maxFiles?: number;
  /** How deep sub-directories are followed (default 4). */
  maxDepth?: number;
  /** Abort hashing (e.g. the activity's cancellation signal). */
  signal?: AbortSignal;
}

/** A name or link in the output dir that is not allowed (`..`, absolute, escaping link, special file). */
export class UnsafeArtifactError extends Error {
  override readonly name = 'UnsafeArtifactError';
  constructor(
    readonly dir: string,
    /** The offending relative name. */
    readonly artifact: string,
    readonly why: string,
  ) {
    super(`artifact ${JSON.stringify(artifact)} in ${dir} is not allowed: ${why}`);
  }
}

/** The kind of an artifact, from its file name. */
export function artifactKind(name: string): ArtifactKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.qcow2')) return 'qcow2';
  if (lower.endsWith('.raw.xz')) return 'raw.xz';
  if (lower.endsWith('.box')) return 'vagrant-box';
  if (lower.endsWith('.iso')) return 'iso';
  return 'other';
}

/**
 * Why a relative artifact name is unsafe, or null. Names are `/`-separated; each segment must be
 * non-empty, not `.` or `..`, at most 255 bytes, with no control characters or backslashes.
 */
export function artifactNameProblem(name: string): string | null {
  if (name === '') return 'the name is empty';
  if (name.startsWith('/')) return 'absolute paths are not allowed';
  if (name.length > 1024) return 'the name is longer than 1024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(name)) return 'control characters and backslashes are not allowed';
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return '"", "." and ".." path segments are not allowed';
    if (Buffer.byteLength(segment) > 255) return 'a path segment is longer than 255 bytes';
  }
  return null;
}

/** Streams a file through SHA-256. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 1 << 20 })) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    size += buffer.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Every regular file under `dir` (recursively, sorted by name) with kind, SHA-256 and size.
 * Symlinks are allowed only when they resolve to a regular file inside `dir`.
 * @throws UnsafeArtifactError for unsafe names, escaping links, special files or too many files.
 */
export async function collectArtifacts(dir: string, options: CollectOptions = {}): Promise<CollectedArtifact[]> {
  const maxFiles = options.maxFiles ?? 1000;
  const maxDepth = options.maxDepth ?? 4;
  const root = await realpath(dir);
  const found: { name: string; path: string }[] = [];

  const walk = async (current: string, depth: number): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(current, entry.name);
      const name = relative(dir, path).split(sep).join('/');
      const problem = artifactNameProblem(name);
      if (problem) throw new UnsafeArtifactError(dir, name, problem);
      const info = await lstat(path);
      if (info.isDirectory()) {
        if (depth >= maxDepth) throw new UnsafeArtifactError(dir, name, `directories nest deeper than ${maxDepth} levels`);
        await walk(path, depth + 1);
      } else if (info.isSymbolicLink()) {
        const target = await realpath(path).catch(() => null);
        if (target === null) throw new UnsafeArtifactError(dir, name, 'it is a dangling symlink');
        if (!target.startsWith(root + sep)) throw new UnsafeArtifactError(dir, name, 'it is a symlink that points outside the output dir');
        if (!(await stat(target)).isFile()) throw new UnsafeArtifactError(dir, name, 'it is a symlink to something other than a regular file');
        found.push({ name, path });
      } else if (info.isFile()) {
        found.push({ name, path });
      } else {
        throw new UnsafeArtifactError(dir, name, 'only regular files are allowed (not sockets, fifos or devices)');
      }
      if (found.length > maxFiles) throw new UnsafeArtifactError(dir, name, `the build wrote more than ${maxFiles} files`);
    }
  };
  await walk(dir, 1);

  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: CollectedArtifact[] = [];
  for (const { name, path } of found) {
    const { sha256, size } = await sha256File(path, options.signal);
    out.push({ name, path, sha256, size, kind: artifactKind(name) });
  }
  return out;
}
