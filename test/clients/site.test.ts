import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSiteWriter, InvalidSiteNameError, SiteConflictError, type SiteImageFile, writeFileAtomic } from '../../clients/site.js';
import { type StreamFeed } from '../../workflows/image-types.js';

let base: string;
let n = 0;
const sha = (data: string): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'stratus-site-'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function fixture(): Promise<{ siteDir: string; files: SiteImageFile[]; src: string }> {
  const root = join(base, `case-${n++}`);
  const src = join(root, 'out');
  await mkdir(join(src, 'logs'), { recursive: true });
  await writeFile(join(src, 'disk.qcow2'), 'qcow-bytes');
  await writeFile(join(src, 'logs', 'build.log'), 'log');
  const files = [
    { name: 'disk.qcow2', sourcePath: join(src, 'disk.qcow2'), sha256: sha('qcow-bytes'), size: 10 },
    { name: 'logs/build.log', sourcePath: join(src, 'logs', 'build.log'), sha256: sha('log'), size: 3 },
  ];
  return { siteDir: join(root, 'site'), files, src };
}

const feed = (stream: string, over: Partial<StreamFeed> = {}): StreamFeed => ({
  stream,
  published: null,
  stale: false,
  revoked: [],
  warning: null,
  warnings: [],
  trackerUrl: null,
  revokedNotice: null,
  ...over,
});

describe('site writer', () => {
  it('installs an image dir and treats a second identical install as success', async () => {
    const { siteDir, files } = await fixture();
    const site = createSiteWriter({ siteDir });
    const first = await site.installImage({ stream: 'atomic-host', imageId: 'atomic-host-20250101.1', files });
    expect(first).toEqual({ dir: join(siteDir, 'atomic-host', 'atomic-host-20250101.1'), created: true });
    expect(await readFile(join(first.dir, 'logs', 'build.log'), 'utf8')).toBe('log');
    const again = await site.installImage({ stream: 'atomic-host', imageId: 'atomic-host-20250101.1', files });
    expect(again.created).toBe(false);
    expect(await site.listImages('atomic-host')).toEqual(['atomic-host-20250101.1']);
    expect((await readdir(join(siteDir, 'atomic-host'))).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('refuses an image dir that exists with different content', async () => {
    const { siteDir, files } = await fixture();
    const site = createSiteWriter({ siteDir });
    await site.installImage({ stream: 's', imageId: 's-1', files });
    await writeFile(join(siteDir, 's', 's-1', 'disk.qcow2'), 'tampered!!');
    const error = await site.installImage({ stream: 's', imageId: 's-1', files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiteConflictError);
    expect((error as Error).message).toBe(
      `site conflict for image s-1 of stream s, file "disk.qcow2": already published with sha256 ${sha('tampered!!')}, not ${sha('qcow-bytes')}`,
    );
    await expect(site.installImage({ stream: 's', imageId: 's-1', files: files.slice(0, 1) })).rejects.toThrow(
      'site conflict for image s-1 of stream s, file "logs/build.log": the published image dir already exists with other files (unexpected file)',
    );
  });

  it('refuses a source that no longer matches its checksum, leaving nothing behind', async () => {
    const { siteDir, files, src } = await fixture();
    await writeFile(join(src, 'disk.qcow2'), 'changed!!!');
    const site = createSiteWriter({ siteDir });
    await expect(site.installImage({ stream: 's', imageId: 's-2', files })).rejects.toThrow(/file "disk.qcow2": the build output changed/);
    expect(await readdir(join(siteDir, 's'))).toEqual([]);
  });

  it('cleans up the temp dir of a crashed earlier attempt', async () => {
    const { siteDir, files } = await fixture();
    await mkdir(join(siteDir, 's', '.tmp-s-3-999-abc'), { recursive: true });
    await writeFile(join(siteDir, 's', '.tmp-s-3-999-abc', 'half'), 'x');
    await createSiteWriter({ siteDir }).installImage({ stream: 's', imageId: 's-3', files });
    expect(await readdir(join(siteDir, 's'))).toEqual(['s-3']);
  });

  it('validates stream names, image ids and file names before touching a path', async () => {
    const { siteDir, files } = await fixture();
    const site = createSiteWriter({ siteDir });
    await expect(site.installImage({ stream: '../etc', imageId: 'x', files })).rejects.toThrow(
      new InvalidSiteNameError('stream "../etc" is not a valid stream name (lowercase letters, digits and "-", starting with a letter or digit, at most 63 characters)'),
    );
    await expect(site.installImage({ stream: 's', imageId: '..', files })).rejects.toThrow(/^imageId "\.\." is not a valid image id/);
    await expect(site.installImage({ stream: 's', imageId: 's-1', files: [{ ...files[0]!, name: '../../x' }] })).rejects.toThrow(
      'file "../../x" of image s-1: "", "." and ".." path segments are not allowed',
    );
    await expect(site.removeImage('s', '../s')).rejects.toThrow(/imageId "..\/s"/);
    await expect(site.writeFeed(feed('<script>'))).rejects.toThrow(/stream "<script>" is not a valid stream name/);
  });

  it('removes an image dir', async () => {
    const { siteDir, files } = await fixture();
    const site = createSiteWriter({ siteDir });
    await site.installImage({ stream: 's', imageId: 's-1', files });
    expect(await site.removeImage('s', 's-1')).toBe(true);
    expect(await site.removeImage('s', 's-1')).toBe(false);
    expect(await site.listImages('s')).toEqual([]);
  });

  it('writes feeds in both places and reads them back per stream', async () => {
    const { siteDir } = await fixture();
    const site = createSiteWriter({ siteDir });
    await site.writeFeed(feed('zeta', { stale: true }));
    await site.writeFeed(feed('alpha'));
    await site.writeIndex('<!doctype html><p>hi</p>');
    expect(JSON.parse(await readFile(join(siteDir, 'zeta.json'), 'utf8'))).toEqual(feed('zeta', { stale: true }));
    expect(JSON.parse(await readFile(join(siteDir, 'zeta', 'feed.json'), 'utf8'))).toEqual(feed('zeta', { stale: true }));
    expect((await site.readFeeds()).map((f) => f.stream)).toEqual(['alpha', 'zeta']);
    expect((await readdir(siteDir)).sort()).toEqual(['alpha', 'alpha.json', 'index.html', 'zeta', 'zeta.json']);
  });

  it('a reader never sees a half-written page or feed during repeated publishes', async () => {
    const { siteDir } = await fixture();
    const site = createSiteWriter({ siteDir });
    const page = (i: number): string => `<!doctype html>\n<main>${'x'.repeat(200_000 + (i % 7) * 10_000)}</main>\n<!-- ${i} -->\n</html>\n`;
    await site.writeIndex(page(0));
    await site.writeFeed(feed('s', { warning: 'w'.repeat(100_000) }));
    // The reader runs in another thread so it reads while the writes are in flight.
    const reader = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { readFileSync } = require('node:fs');
       let reads = 0, bad = [];
       const stop = Date.now() + 60000;
       parentPort.on('message', () => { parentPort.postMessage({ reads, bad }); process.exit(0); });
       (function loop() {
         if (reads === 0) setImmediate(() => parentPort.postMessage('ready'));
         for (let i = 0; i < 50 && Date.now() < stop; i++) {
           const html = readFileSync(workerData.page, 'utf8');
           if (!html.startsWith('<!doctype html>') || !html.endsWith('</html>\\n')) bad.push(html.length);
           try { JSON.parse(readFileSync(workerData.feed, 'utf8')); } catch { bad.push('feed'); }
           reads++;
         }
         setImmediate(loop);
       })();`,
      { eval: true, workerData: { page: join(siteDir, 'index.html'), feed: join(siteDir, 's.json') } },
    );
    await new Promise((resolve) => reader.once('message', resolve)); // the reader is reading
    for (let i = 1; i <= 60; i++) {
      await site.writeIndex(page(i));
      await site.writeFeed(feed('s', { warning: 'w'.repeat(100_000 + i * 1000), revoked: [`s-${i}`] }));
    }
    const result = await new Promise<{ reads: number; bad: unknown[] }>((resolve) => {
      reader.once('message', resolve);
      reader.postMessage('stop');
    });
    expect(result.reads).toBeGreaterThan(1);
    expect(result.bad).toEqual([]);
    expect(await readFile(join(siteDir, 'index.html'), 'utf8')).toBe(page(60));
  });

  it('writeFileAtomic replaces a file in one step and leaves no temp file', async () => {
    const dir = join(base, `atomic-${n++}`);
    await writeFileAtomic(join(dir, 'a.txt'), 'one');
    await writeFileAtomic(join(dir, 'a.txt'), 'two');
    expect(await readdir(dir)).toEqual(['a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('two');
  });
});
