// The image pipeline's Glance activities through a real activity context against the stateful
// OpenStack fake: upload once (retries find their image), checksums checked, revoke deactivates.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../activities/index.js';
import { createImageGlanceActivities, IMAGE_ID_PROPERTY, type UploadStreamImageInput } from '../../activities/image-glance.js';
import { createCloud } from '../../clients/openstack/index.js';
import { stratusConfigSchema } from '../../config/schema.js';
import { buildActivityDeps } from '../../workers/activity-deps.js';
import { type ArtifactRecord } from '../../workflows/image-types.js';
import { startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack.js';

let fake: FakeOpenStack;
let dir: string;
const retry = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 2_000 };
const noop = (): void => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  new MockActivityEnvironment(undefined, { logger: quiet }).run(fn, ...args) as Promise<R>;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function activities(credentials: Parameters<typeof createCloud>[0]['credentials']) {
  const cloud = createCloud({ authUrl: fake.authUrl, credentials, retry });
  return createImageGlanceActivities({ cloud, workDir: join(dir, 'work'), siteDir: join(dir, 'site'), cloudLabel: 'RegionOne' });
}
const admin = () => activities({ kind: 'password', username: 'admin', password: 'admin-secret' });

/** Writes a build's output file as the build would and returns the upload input for it. */
async function built(imageId: string, content: string, files: Partial<ArtifactRecord>[] = [{}]): Promise<UploadStreamImageInput> {
  const out = join(dir, 'work', 'fedora', imageId, 'output');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'disk.qcow2'), content);
  const artifacts = files.map((f) => ({ name: 'disk.qcow2', sha256: sha256(content), size: content.length, kind: 'qcow2' as const, ...f }));
  return { stream: 'fedora', imageId, baseRelease: 'fedora-42', artifacts, visibility: 'community' };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

beforeAll(async () => {
  fake = await startFakeOpenStack({
    users: [
      { username: 'admin', password: 'admin-secret', projectId: 'admin-project' },
      { username: 'builder', password: 'builder-secret', projectId: 'images-project' },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'stratus-glance-'));
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('uploadStreamImage', () => {
  it('uploads the qcow2 once, with the stream properties, and a retry finds it', async () => {
    const input = await built('fedora-20250101.1', 'qcow2 bytes one');
    const acts = admin();
    const first = await run(acts.uploadStreamImage, input);
    expect(first).toEqual({ glanceImageId: expect.any(String), outcome: 'uploaded', cloud: 'RegionOne', file: 'disk.qcow2', md5: md5('qcow2 bytes one') });
    const image = fake.images.get(first.glanceImageId)!;
    expect(image).toMatchObject({
      name: 'fedora-20250101.1', status: 'active', visibility: 'community', diskFormat: 'qcow2', checksum: md5('qcow2 bytes one'),
      properties: { [IMAGE_ID_PROPERTY]: 'fedora-20250101.1', stratus_stream: 'fedora', stratus_base_release: 'fedora-42' },
    });
    expect(await run(acts.uploadStreamImage, input)).toEqual({ ...first, outcome: 'existing' });
    expect([...fake.images.values()].filter((i) => i.name === 'fedora-20250101.1')).toHaveLength(1);
  });

  it('finishes the half-made image a killed attempt left, instead of making a second', async () => {
    const input = await built('fedora-20250102.1', 'qcow2 bytes two');
    const leftover = fake.addImage({ name: input.imageId, owner: 'admin-project', status: 'queued', properties: { [IMAGE_ID_PROPERTY]: input.imageId } });
    const r = await run(admin().uploadStreamImage, input);
    expect(r).toMatchObject({ glanceImageId: leftover.id, outcome: 'uploaded' });
    expect(fake.images.get(leftover.id)?.status).toBe('active');
    expect([...fake.images.values()].filter((i) => i.name === input.imageId)).toHaveLength(1);
  });

  it('uses the site copy when the build dir is gone', async () => {
    const content = 'from the site';
    await mkdir(join(dir, 'site', 'fedora', 'fedora-20250103.1'), { recursive: true });
    await writeFile(join(dir, 'site', 'fedora', 'fedora-20250103.1', 'disk.qcow2'), content);
    const input: UploadStreamImageInput = {
      stream: 'fedora', imageId: 'fedora-20250103.1', baseRelease: 'fedora-42', visibility: 'public',
      artifacts: [{ name: 'disk.qcow2', sha256: sha256(content), size: content.length, kind: 'qcow2' }],
    };
    const r = await run(admin().uploadStreamImage, input);
    expect(fake.images.get(r.glanceImageId)).toMatchObject({ status: 'active', visibility: 'public', checksum: md5(content) });
  });

  it('refuses a file that does not match the build checksum, and says which files there are', async () => {
    const tampered = await built('fedora-20250104.1', 'changed after the build', [{ sha256: 'ab'.repeat(32) }]);
    const f = await failureOf(run(admin().uploadStreamImage, tampered));
    expect(f).toMatchObject({ type: 'ImageChecksumMismatch', nonRetryable: true });
    expect(f.message).toContain(`does not match the build's checksum (sha256 ${sha256('changed after the build')}, the build recorded ${'ab'.repeat(32)})`);
    expect([...fake.images.values()].some((i) => i.name === 'fedora-20250104.1')).toBe(false);

    const noDisk = { ...(await built('fedora-20250105.1', 'x')), artifacts: [{ name: 'disk.raw.xz', sha256: sha256('x'), size: 1, kind: 'raw.xz' as const }] };
    const g = await failureOf(run(admin().uploadStreamImage, noDisk));
    expect(g).toMatchObject({ type: 'NothingToUpload', message: 'image fedora-20250105.1 has no qcow2 or iso file to upload to Glance (it has disk.raw.xz)' });

    const bad = await failureOf(run(admin().uploadStreamImage, { ...noDisk, imageId: '../etc' }));
    expect(bad).toMatchObject({ type: 'InvalidImageName' });
    expect(bad.message).toMatch(/^imageId /);
  });

  it('names the missing file when neither the build dir nor the site has it', async () => {
    const input: UploadStreamImageInput = {
      stream: 'fedora', imageId: 'fedora-20250106.1', baseRelease: 'fedora-42', visibility: 'private',
      artifacts: [{ name: 'disk.qcow2', sha256: sha256('y'), size: 1, kind: 'qcow2' }],
    };
    const f = await failureOf(run(admin().uploadStreamImage, input));
    expect(f).toMatchObject({ type: 'ImageFileMissing', nonRetryable: true });
    expect(f.message).toContain('the file disk.qcow2 of image fedora-20250106.1 is on neither');
  });
});

describe('withdrawStreamImage', () => {
  it('deactivates as admin, once; a member gets a clear "not permitted"; a missing image is gone', async () => {
    const input = await built('fedora-20250110.1', 'to be revoked');
    const { glanceImageId } = await run(admin().uploadStreamImage, input);

    const member = activities({ kind: 'password', username: 'builder', password: 'builder-secret' });
    const refused = await run(member.withdrawStreamImage, { glanceImageId });
    expect(refused).toEqual({
      glanceImageId, outcome: 'not-permitted',
      message: `Glance refused to deactivate image ${glanceImageId} (HTTP 403: deactivating needs the admin role under Glance's default policy); it can still be launched`,
    });
    expect(fake.images.get(glanceImageId)?.status).toBe('active');

    expect(await run(admin().withdrawStreamImage, { glanceImageId })).toEqual({ glanceImageId, outcome: 'deactivated' });
    expect(fake.images.get(glanceImageId)?.status).toBe('deactivated');
    expect(await run(admin().withdrawStreamImage, { glanceImageId })).toEqual({ glanceImageId, outcome: 'already' });
    expect(await run(admin().withdrawStreamImage, { glanceImageId: '55555555-5555-5555-5555-555555555555' })).toEqual({
      glanceImageId: '55555555-5555-5555-5555-555555555555', outcome: 'gone',
    });
  });
});

describe('wiring', () => {
  const images = { site: { outDir: 'site' }, streams: [{ name: 'cloud', base: 'f42', build: { command: ['make'] } }, { name: 'glancy', base: 'f42', build: { command: ['make'] }, glance: { enabled: true } }] };

  it('names the stream whose Glance upload has no openstack: section', () => {
    const config = stratusConfigSchema.parse({ images });
    expect(() => buildActivityDeps({ config, baseDir: dir }, {})).toThrow('images.streams[1].glance: uploading to Glance needs the openstack: section (authUrl, auth)');
  });

  it('registers the Glance activities with the cloud of the openstack: section', () => {
    const config = stratusConfigSchema.parse({
      images, openstack: { authUrl: fake.authUrl, region: 'RegionOne', auth: { username: 'admin', passwordEnv: 'OS_PW', project: 'admin' } },
    });
    const deps = buildActivityDeps({ config, baseDir: dir }, { OS_PW: 'admin-secret' });
    expect(deps.imageGlance).toMatchObject({ cloudLabel: 'RegionOne', workDir: deps.images!.workDir, siteDir: deps.images!.site.siteDir });
    expect(Object.keys(createActivities(deps))).toEqual(expect.arrayContaining(['uploadStreamImage', 'withdrawStreamImage']));
  });
});
