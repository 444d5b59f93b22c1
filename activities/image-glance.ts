// The image pipeline's side of Glance: upload the published image so it can be launched, and
// deactivate a revoked one. These run on the worker that knows where the build's files are (the
// build output dir, else the site's copy). Idempotent by the `stratus_image_id` property: a
// retried upload finds the image it made (or finishes a half-made one) instead of making another.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Cloud } from '../clients/openstack/index.js';
import { OpenStackConflictError, OpenStackHttpError, OpenStackNotFoundError } from '../clients/openstack/errors.js';
import { type ArtifactRecord, nameProblem } from '../workflows/image-types.js';
import { toFailure } from './openstack.js';

/** Image property naming the stratus image id an upload came from. */
export const IMAGE_ID_PROPERTY = 'stratus_image_id';
/** Image property naming the stream. */
export const STREAM_PROPERTY = 'stratus_stream';

/** What the Glance side of the image pipeline needs. */
export interface ImageGlanceDeps {
  cloud: Cloud;
  /** Build outputs: `<workDir>/<stream>/<imageId>/output/<file>`. */
  workDir: string;
  /** The download site root: `<siteDir>/<stream>/<imageId>/<file>` (used when the output dir is gone). */
  siteDir?: string;
  /** A label of the cloud/region the images go to, shown next to the Glance id (e.g. `RegionOne`). */
  cloudLabel?: string;
}

/** Input of `uploadStreamImage`. */
export interface UploadStreamImageInput {
  stream: string;
  imageId: string;
  baseRelease: string;
  artifacts: ArtifactRecord[];
  visibility: 'private' | 'shared' | 'community' | 'public';
}

/** Result of `uploadStreamImage`. */
export interface UploadStreamImageResult {
  glanceImageId: string;
  /** `uploaded` now, or `existing` from an earlier (e.g. retried) attempt. */
  outcome: 'uploaded' | 'existing';
  cloud: string | null;
  /** The file that was uploaded and its MD5 (Glance's `checksum`). */
  file: string;
  md5: string;
}

/** Result of `withdrawStreamImage`. */
export interface WithdrawStreamImageResult {
  glanceImageId: string;
  outcome: 'deactivated' | 'already' | 'gone' | 'not-permitted';
  /** For a person, when it could not be deactivated. */
  message?: string;
}

const DISK_FORMAT: Partial<Record<ArtifactRecord['kind'], string>> = { qcow2: 'qcow2', iso: 'iso' };

function heartbeat(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // called outside an activity (unit tests)
  }
}

function signal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

async function hashes(file: string): Promise<{ sha256: string; md5: string }> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(file)) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/** Creates the Glance activities of the image pipeline. */
export function createImageGlanceActivities(deps: ImageGlanceDeps) {
  const { cloud } = deps;

  async function localFile(stream: string, imageId: string, artifact: ArtifactRecord): Promise<string> {
    const candidates = [join(deps.workDir, stream, imageId, 'output', artifact.name)];
    if (deps.siteDir) candidates.push(join(deps.siteDir, stream, imageId, artifact.name));
    for (const path of candidates) if (await isFile(path)) return path;
    throw ApplicationFailure.nonRetryable(
      `the file ${artifact.name} of image ${imageId} is on neither this worker's build dir nor the site (${candidates.join(', ')})`,
      'ImageFileMissing',
    );
  }

  return {
    /**
     * Uploads the image's bootable file (qcow2, else iso) to Glance as `<imageId>` with
     * `stratus_image_id`, `stratus_stream` and `os_distro`-style properties; checks the file
     * against the build's SHA-256 before and Glance's MD5 checksum after.
     */
    async uploadStreamImage(input: UploadStreamImageInput): Promise<UploadStreamImageResult> {
      for (const [field, value] of [['stream', input.stream], ['imageId', input.imageId]] as const) {
        const problem = nameProblem(field, value);
        if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidImageName');
      }
      const artifact = input.artifacts.find((a) => a.kind === 'qcow2') ?? input.artifacts.find((a) => a.kind === 'iso');
      if (!artifact) {
        throw ApplicationFailure.nonRetryable(`image ${input.imageId} has no qcow2 or iso file to upload to Glance (it has ${input.artifacts.map((a) => a.name).join(', ') || 'no files'})`, 'NothingToUpload');
      }
      const file = await localFile(input.stream, input.imageId, artifact);
      const local = await hashes(file);
      if (local.sha256 !== artifact.sha256) {
        throw ApplicationFailure.nonRetryable(`${file} does not match the build's checksum (sha256 ${local.sha256}, the build recorded ${artifact.sha256}): not uploading it`, 'ImageChecksumMismatch');
      }
      try {
        const mine = [];
        let marker: string | undefined;
        do {
          const page = await cloud.image.listImages({ name: input.imageId, visibility: 'all', marker, signal: signal() });
          mine.push(...page.items.filter((i) => i.properties[IMAGE_ID_PROPERTY] === input.imageId));
          marker = page.nextMarker;
        } while (marker);
        const active = mine.find((i) => i.status === 'active' || i.status === 'deactivated');
        if (active) {
          if (active.checksum && active.checksum !== local.md5) {
            throw ApplicationFailure.nonRetryable(`Glance image ${active.id} of ${input.imageId} has checksum ${active.checksum}, the file has ${local.md5}`, 'GlanceChecksumMismatch');
          }
          return { glanceImageId: active.id, outcome: 'existing', cloud: deps.cloudLabel ?? null, file: artifact.name, md5: local.md5 };
        }
        let target = mine.find((i) => i.status === 'queued');
        for (const stale of mine.filter((i) => i !== target)) await cloud.image.deleteImage(stale.id, signal()); // a killed upload's leftovers
        target ??= await cloud.image.createImage({
          name: input.imageId,
          diskFormat: DISK_FORMAT[artifact.kind] ?? 'raw',
          containerFormat: 'bare',
          visibility: input.visibility,
          properties: { [IMAGE_ID_PROPERTY]: input.imageId, [STREAM_PROPERTY]: input.stream, stratus_base_release: input.baseRelease, stratus_sha256: local.sha256 },
        }, signal());
        heartbeat({ glanceImageId: target.id, stage: 'uploading' });
        await cloud.image.uploadImageFile(target.id, file, { signal: signal() });
        const after = await cloud.image.getImage(target.id, signal());
        if (after?.status !== 'active') {
          throw ApplicationFailure.retryable(`Glance image ${target.id} is ${after?.status ?? 'gone'} after the upload`, 'ImageUploadIncomplete', { glanceImageId: target.id });
        }
        if (after.checksum !== local.md5) {
          await cloud.image.deleteImage(target.id, signal());
          throw ApplicationFailure.retryable(`Glance stored ${target.id} with checksum ${after.checksum ?? 'none'}, the file has ${local.md5}: deleted it, uploading again`, 'GlanceChecksumMismatch');
        }
        return { glanceImageId: target.id, outcome: 'uploaded', cloud: deps.cloudLabel ?? null, file: artifact.name, md5: local.md5 };
      } catch (error) {
        throw toFailure(error);
      }
    },

    /** Deactivates a revoked image's Glance copy so it can no longer be booted or downloaded. */
    async withdrawStreamImage(input: { glanceImageId: string }): Promise<WithdrawStreamImageResult> {
      const { glanceImageId } = input;
      try {
        const image = await cloud.image.getImage(glanceImageId, signal());
        if (!image) return { glanceImageId, outcome: 'gone' };
        if (image.status === 'deactivated') return { glanceImageId, outcome: 'already' };
        await cloud.image.setImageActive(glanceImageId, false, signal());
        return { glanceImageId, outcome: 'deactivated' };
      } catch (error) {
        if (error instanceof OpenStackNotFoundError) return { glanceImageId, outcome: 'gone' };
        const status = error instanceof OpenStackHttpError ? error.status : error instanceof OpenStackConflictError ? error.status : undefined;
        if (status === 403) {
          return {
            glanceImageId, outcome: 'not-permitted',
            message: `Glance refused to deactivate image ${glanceImageId} (HTTP 403: deactivating needs the admin role under Glance's default policy); it can still be launched`,
          };
        }
        throw toFailure(error);
      }
    },
  };
}

export type ImageGlanceActivities = ReturnType<typeof createImageGlanceActivities>;
