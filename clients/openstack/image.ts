// Glance v2: images listed page by page (following the `next` link), property/visibility
// updates as JSON patch, delete, and create + upload from a file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { type ImageInfo, type ImageVisibility } from '../../workflows/lifecycle-types.js';
import { OpenStackInputError, OpenStackNotFoundError } from './errors.js';
import { idSegment, withQuery } from './http.js';
import { type Page, type PageRequest, type ServiceClient } from './service.js';

/** An image with the fields the image pipeline needs on top of the planner's view. */
export interface ImageDetail extends ImageInfo {
  /** `queued`, `saving`, `active`, `killed`, `deleted`, … */
  status: string;
  /** MD5 Glance computed on upload. */
  checksum?: string;
  size?: number;
  protected: boolean;
}

/** A property change; keys absent from both lists are left alone. */
export interface ImageChange {
  /** Properties to set (added or replaced). Values must be strings, as Glance requires. */
  set?: Record<string, string>;
  /** Properties to remove (missing ones are ignored). */
  remove?: string[];
  visibility?: ImageVisibility;
  /** Glance's `protected` flag (a protected image cannot be deleted). */
  protected?: boolean;
}

/**
 * What makes an image "featured": a property and its value (default `featured=true`).
 * Unfeaturing sets the property to `unfeaturedValue`, or removes it when that is absent; the
 * image keeps its visibility so servers booted from it and people who use it by id are unaffected.
 */
export interface FeaturedFlag {
  property: string;
  featuredValue: string;
  unfeaturedValue?: string;
}

/** Input of {@link ImageService.createImage}. */
export interface NewImage {
  name: string;
  diskFormat: string;
  containerFormat: string;
  visibility?: ImageVisibility;
  properties?: Record<string, string>;
}

/** The Glance operations stratus uses. */
export interface ImageService {
  /** The flag {@link ImageInfo.featured} was computed from. */
  readonly featuredFlag: FeaturedFlag;
  /**
   * One page of `GET /v2/images` (all visibilities unless narrowed). Glance leaves `os_hidden`
   * images out unless asked: `hidden: true` lists only those. Without `admin` other projects'
   * private images are out of sight, which the page says in `partial`.
   */
  listImages(request?: PageRequest & { name?: string; owner?: string; visibility?: ImageVisibility | 'all'; hidden?: boolean }): Promise<Page<ImageDetail>>;
  getImage(id: string, signal?: AbortSignal): Promise<ImageDetail | undefined>;
  /** Applies a change with `application/openstack-images-v2.1-json-patch`; no request if nothing changes. */
  updateImage(id: string, change: ImageChange, signal?: AbortSignal): Promise<ImageDetail>;
  /** `false` when already gone. A protected image is an OpenStackConflictError (HTTP 403). */
  deleteImage(id: string, signal?: AbortSignal): Promise<boolean>;
  /** Creates the image record (status `queued`). */
  createImage(image: NewImage, signal?: AbortSignal): Promise<ImageDetail>;
  /** Streams a local file to `PUT /v2/images/{id}/file`. */
  uploadImageFile(id: string, file: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
  /**
   * `POST /v2/images/{id}/actions/deactivate` (or `reactivate`): a deactivated image can no longer
   * be downloaded or booted. Glance's default policy allows it to admins only (403 otherwise).
   */
  setImageActive(id: string, active: boolean, signal?: AbortSignal): Promise<void>;
}

/** Glance's own attributes; every other string attribute is a free-form property. */
const CORE = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size',
  'owner', 'container_format', 'disk_format', 'created_at', 'updated_at', 'tags', 'self', 'file', 'schema', 'min_disk',
  'min_ram', 'locations', 'direct_url', 'os_hidden', 'stores',
]);

const imageSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    status: z.string(),
    visibility: z.enum(['public', 'private', 'shared', 'community']),
    owner: z.string().nullable(),
    protected: z.boolean().default(false),
    os_hidden: z.boolean().nullish(),
    checksum: z.string().nullish(),
    size: z.number().nullish(),
  })
  .catchall(z.unknown());

const imagesSchema = z.object({ images: z.array(imageSchema), next: z.string().optional() });

export const defaultFeaturedFlag: FeaturedFlag = { property: 'featured', featuredValue: 'true', unfeaturedValue: 'false' };

/** Maps a Glance image body to the planner's shape; kept apart from the HTTP code. */
export function toImageDetail(image: z.infer<typeof imageSchema>, flag: FeaturedFlag): ImageDetail {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(image)) {
    if (!CORE.has(key) && typeof value === 'string') properties[key] = value;
  }
  return {
    id: image.id,
    name: image.name ?? '',
    ownerProjectId: image.owner ?? '',
    visibility: image.visibility,
    featured: properties[flag.property] === flag.featuredValue,
    ...(properties.os_distro ? { osDistro: properties.os_distro } : {}),
    ...(properties.os_version ? { osVersion: properties.os_version } : {}),
    ...(image.os_hidden ? { hidden: true } : {}),
    // Nova's shelve/snapshot images: they belong to their server.
    ...(properties.image_type === 'snapshot' && properties.instance_uuid ? { snapshotOf: properties.instance_uuid } : {}),
    properties,
    status: image.status,
    ...(image.checksum ? { checksum: image.checksum } : {}),
    ...(typeof image.size === 'number' ? { size: image.size } : {}),
    protected: image.protected,
  };
}

const PROPERTY = /^[A-Za-z0-9_:.-]{1,255}$/;

export class GlanceImages implements ImageService {
  constructor(private readonly client: ServiceClient, readonly featuredFlag: FeaturedFlag = defaultFeaturedFlag) {}

  async listImages(request: PageRequest & { name?: string; owner?: string; visibility?: ImageVisibility | 'all'; hidden?: boolean } = {}): Promise<Page<ImageDetail>> {
    const access = await this.client.access(request.signal);
    const partial = !this.client.seesAll(access) && request.owner !== access.projectId
      ? { partial: { visibleProject: access.projectId, reason: `${this.client.whyNotVisible(access)} (only public and community images of other projects are listed)` } }
      : {};
    const path = withQuery('/v2/images', {
      os_hidden: request.hidden ? 'true' : undefined,
      limit: request.limit,
      marker: request.marker ? idSegment('marker', request.marker) : undefined,
      name: request.name,
      owner: request.owner,
      visibility: request.visibility ?? 'all',
    });
    const body = await this.client.getJson(path, imagesSchema, { signal: request.signal });
    const items = body.images.map((i) => toImageDetail(i, this.featuredFlag));
    const nextMarker = body.next ? new URL(body.next, 'http://glance').searchParams.get('marker') ?? undefined : undefined;
    return { items, ...(nextMarker && items.length > 0 ? { nextMarker } : {}), ...partial };
  }

  async getImage(id: string, signal?: AbortSignal): Promise<ImageDetail | undefined> {
    try {
      const body = await this.client.getJson(`/v2/images/${idSegment('imageId', id)}`, imageSchema, { signal, subject: { resource: 'image', id } });
      return toImageDetail(body, this.featuredFlag);
    } catch (err) {
      if (err instanceof OpenStackNotFoundError) return undefined;
      throw err;
    }
  }

  async updateImage(id: string, change: ImageChange, signal?: AbortSignal): Promise<ImageDetail> {
    const current = await this.getImage(id, signal);
    if (!current) throw new OpenStackNotFoundError('image', id);
    const ops: { op: 'add' | 'replace' | 'remove'; path: string; value?: string | boolean }[] = [];
    for (const [key, value] of Object.entries(change.set ?? {})) {
      if (!PROPERTY.test(key) || CORE.has(key)) throw new OpenStackInputError(`properties.${key}`, 'is not a settable image property name');
      if (typeof value !== 'string') throw new OpenStackInputError(`properties.${key}`, 'image property values must be strings');
      if (current.properties[key] === value) continue;
      // Glance's "replace" fails on a missing property and "add" is the documented way to create one.
      ops.push({ op: key in current.properties ? 'replace' : 'add', path: `/${key}`, value });
    }
    for (const key of change.remove ?? []) if (key in current.properties) ops.push({ op: 'remove', path: `/${key}` });
    if (change.visibility && change.visibility !== current.visibility) ops.push({ op: 'replace', path: '/visibility', value: change.visibility });
    if (change.protected !== undefined && change.protected !== current.protected) ops.push({ op: 'replace', path: '/protected', value: change.protected });
    if (ops.length === 0) return current;
    const body = await this.client.sendJson('PATCH', `/v2/images/${idSegment('imageId', id)}`, imageSchema, {
      json: ops,
      contentType: 'application/openstack-images-v2.1-json-patch',
      subject: { resource: 'image', id },
      signal,
    });
    return toImageDetail(body, this.featuredFlag);
  }

  async deleteImage(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/v2/images/${idSegment('imageId', id)}`, { resource: 'image', id }, { signal, conflictStatuses: [403] });
  }

  async createImage(image: NewImage, signal?: AbortSignal): Promise<ImageDetail> {
    if (!image.name.trim()) throw new OpenStackInputError('name', 'an image needs a name');
    for (const key of Object.keys(image.properties ?? {})) {
      if (!PROPERTY.test(key) || CORE.has(key)) throw new OpenStackInputError(`properties.${key}`, 'is not a settable image property name');
    }
    const body = await this.client.sendJson('POST', '/v2/images', imageSchema, {
      json: {
        ...image.properties,
        name: image.name,
        disk_format: image.diskFormat,
        container_format: image.containerFormat,
        visibility: image.visibility ?? 'private',
      },
      signal,
    });
    return toImageDetail(body, this.featuredFlag);
  }

  async uploadImageFile(id: string, file: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new OpenStackInputError('file', `${file} is not a readable file`);
    await this.client.call('PUT', `/v2/images/${idSegment('imageId', id)}/file`, {
      body: () => Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      contentType: 'application/octet-stream',
      subject: { resource: 'image', id },
      idempotent: true,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 3_600_000,
    });
  }

  async setImageActive(id: string, active: boolean, signal?: AbortSignal): Promise<void> {
    await this.client.call('POST', `/v2/images/${idSegment('imageId', id)}/actions/${active ? 'reactivate' : 'deactivate'}`, {
      subject: { resource: 'image', id },
      idempotent: true,
      signal,
    });
  }
}
