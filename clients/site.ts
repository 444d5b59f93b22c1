// The download site on disk: image dirs, per-stream feeds and index.html. Every write is atomic
// (build in a temp file/dir on the same filesystem, then rename), so a reader sees the old or the
// new version, never half of one.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type StreamFeed, nameProblem } from '../workflows/image-types.js';
import { artifactNameProblem, sha256File } from './artifacts.js';

/** A file to place in an image dir, with the checksum it must have. */
export interface SiteImageFile {
  /** Name inside the image dir (`/`-separated, checked like an artifact name). */
  name: string;
  /** Where to copy it from. */
  sourcePath: string;
  sha256: string;
  size: number;
}

/** Port: the download site directory. */
export interface SiteWriter {
  /** The site root. */
  readonly siteDir: string;
  /**
   * Places an image's files at `<site>/<stream>/<imageId>/`, atomically. Already there with the
   * same files and checksums: success with `created: false`.
   * @throws SiteConflictError when the dir exists with different content or a copy does not match its checksum.
   */
  installImage(input: { stream: string; imageId: string; files: SiteImageFile[] }): Promise<{ dir: string; created: boolean }>;
  /** Removes `<site>/<stream>/<imageId>/` (atomically: renamed away first). False when absent. */
  removeImage(stream: string, imageId: string): Promise<boolean>;
  /** Image ids that have a dir under `<site>/<stream>/`. */
  listImages(stream: string): Promise<string[]>;
  /** Writes `<site>/<stream>.json` and `<site>/<stream>/feed.json`, each atomically. */
  writeFeed(feed: StreamFeed): Promise<void>;
  /** Every stream's feed found on disk, sorted by stream. */
  readFeeds(): Promise<StreamFeed[]>;
  /** Writes `<site>/index.html` atomically. */
  writeIndex(html: string): Promise<void>;
}

/** The site already holds something else under a name we were about to use. */
export class SiteConflictError extends Error {
  override readonly name = 'SiteConflictError';
  constructor(
    readonly stream: string,
    readonly imageId: string,
    readonly file: string,
    readonly detail: string,
  ) {
    super(`site conflict for image ${imageId} of stream ${stream}, file ${JSON.stringify(file)}: ${detail}`);
  }
}

/** A stream name, image id or file name that must not reach a path. */
export class InvalidSiteNameError extends Error {
  override readonly name = 'InvalidSiteNameError';
}

const tmpSuffix = (): string => `${process.pid}-${randomBytes(6).toString('hex')}`;

/** Writes `content` to a temp file next to `path`, flushes it, and renames it over `path`. */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tmp-${tmpSuffix()}`);
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

function check(field: 'stream' | 'imageId', value: string): void {
  const problem = nameProblem(field, value);
  if (problem) throw new InvalidSiteNameError(problem);
}

/** Files under `dir`, `/`-separated, sorted. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), name)));
    else out.push(name);
  }
  return out.sort();
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** A {@link SiteWriter} over a local directory. */
export function createSiteWriter(options: { siteDir: string }): SiteWriter {
  const { siteDir } = options;

  async function sameImage(dir: string, stream: string, imageId: string, files: SiteImageFile[]): Promise<void> {
    const present = await listFiles(dir);
    const wanted = files.map((f) => f.name).sort();
    const extra = present.filter((f) => !wanted.includes(f));
    const missing = wanted.filter((f) => !present.includes(f));
    if (extra.length || missing.length) {
      const file = extra[0] ?? missing[0]!;
      throw new SiteConflictError(stream, imageId, file, `the published image dir already exists with other files (${extra.length ? 'unexpected' : 'missing'} file)`);
    }
    for (const f of files) {
      const { sha256 } = await sha256File(join(dir, f.name));
      if (sha256 !== f.sha256) throw new SiteConflictError(stream, imageId, f.name, `already published with sha256 ${sha256}, not ${f.sha256}`);
    }
  }

  const writer: SiteWriter = {
    siteDir,

    async installImage({ stream, imageId, files }) {
      check('stream', stream);
      check('imageId', imageId);
      for (const f of files) {
        const problem = artifactNameProblem(f.name);
        if (problem) throw new InvalidSiteNameError(`file ${JSON.stringify(f.name)} of image ${imageId}: ${problem}`);
      }
      const streamDir = join(siteDir, stream);
      const target = join(streamDir, imageId);
      await mkdir(streamDir, { recursive: true });
      if (await exists(target)) {
        await sameImage(target, stream, imageId, files);
        return { dir: target, created: false };
      }
      // Leftovers of a crashed earlier attempt are just removed.
      for (const entry of await readdir(streamDir)) {
        if (entry.startsWith(`.tmp-${imageId}-`)) await rm(join(streamDir, entry), { recursive: true, force: true });
      }
      const tmp = join(streamDir, `.tmp-${imageId}-${tmpSuffix()}`);
      try {
        await mkdir(tmp);
        for (const f of files) {
          const to = join(tmp, f.name);
          await mkdir(dirname(to), { recursive: true });
          await copyFile(f.sourcePath, to);
          const copied = await sha256File(to);
          if (copied.sha256 !== f.sha256 || copied.size !== f.size) {
            throw new SiteConflictError(stream, imageId, f.name, `the build output changed: sha256 ${copied.sha256} (${copied.size} bytes), expected ${f.sha256} (${f.size} bytes)`);
          }
        }
        await rename(tmp, target);
        return { dir: target, created: true };
      } catch (error) {
        await rm(tmp, { recursive: true, force: true });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') {
          // Someone installed it concurrently: fine if it is the same image.
          await sameImage(target, stream, imageId, files);
          return { dir: target, created: false };
        }
        throw error;
      }
    },

    async removeImage(stream, imageId) {
      check('stream', stream);
      check('imageId', imageId);
      const target = join(siteDir, stream, imageId);
      const trash = join(siteDir, stream, `.tmp-${imageId}-${tmpSuffix()}`);
      try {
        await rename(target, trash);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
      await rm(trash, { recursive: true, force: true });
      return true;
    },

    async listImages(stream) {
      check('stream', stream);
      const entries = await readdir(join(siteDir, stream), { withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
    },

    async writeFeed(feed) {
      check('stream', feed.stream);
      const json = `${JSON.stringify(feed, null, 2)}\n`;
      await writeFileAtomic(join(siteDir, feed.stream, 'feed.json'), json);
      await writeFileAtomic(join(siteDir, `${feed.stream}.json`), json);
    },

    async readFeeds() {
      const entries = await readdir(siteDir, { withFileTypes: true }).catch(() => []);
      const feeds: StreamFeed[] = [];
      for (const entry of entries) {
        if (!entry.isDirectory() || nameProblem('stream', entry.name) !== null) continue;
        const text = await readFile(join(siteDir, entry.name, 'feed.json'), 'utf8').catch(() => null);
        if (text === null) continue;
        const feed = JSON.parse(text) as StreamFeed;
        if (feed.stream === entry.name) feeds.push(feed);
      }
      return feeds.sort((a, b) => (a.stream < b.stream ? -1 : 1));
    },

    async writeIndex(html) {
      await writeFileAtomic(join(siteDir, 'index.html'), html);
    },
  };
  return writer;
}
