// Cinder v3: volumes and volume snapshots listed page by page and deleted idempotently. Cinder
// answers 400 (not 409) when a volume cannot be deleted because it is attached, busy or has
// snapshots, and silently ignores `all_tenants` from a member (so the client marks the page partial).
import { z } from 'zod';
import { type VolumeInfo, type VolumeSnapshotInfo } from '../../workflows/lifecycle-types.js';
import { OpenStackConflictError, OpenStackNotFoundError, OpenStackNotVisibleError } from './errors.js';
import { idSegment, withQuery } from './http.js';
import { markerOfNext, type Page, type PageRequest, type ServiceClient } from './service.js';

/** The Cinder operations stratus uses. */
export interface BlockStorage {
  /** One page of `GET /volumes/detail` over all projects, or one project's. */
  listVolumes(request?: PageRequest & { projectId?: string }): Promise<Page<VolumeInfo>>;
  getVolume(id: string, signal?: AbortSignal): Promise<VolumeInfo | undefined>;
  /**
   * Deletes a volume: `false` when already gone or already being deleted. An attached volume is an
   * OpenStackConflictError (HTTP 400); one that is detaching is the same error with `busy: true`.
   */
  deleteVolume(id: string, signal?: AbortSignal): Promise<boolean>;
  /** One page of `GET /snapshots/detail`, over all projects or one project's (same visibility as volumes). */
  listSnapshots(request?: PageRequest & { projectId?: string }): Promise<Page<VolumeSnapshotInfo>>;
  /** `false` when already gone. */
  deleteSnapshot(id: string, signal?: AbortSignal): Promise<boolean>;
}

const snapshotSchema = z.object({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  volume_id: z.string(),
  'os-extended-snapshot-attributes:project_id': z.string().optional(),
});
const snapshotsSchema = z.object({
  snapshots: z.array(snapshotSchema),
  snapshots_links: z.array(z.object({ rel: z.string(), href: z.string() })).optional(),
});

const volumeSchema = z.object({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  attachments: z.array(z.object({ server_id: z.string() })).default([]),
  'os-vol-tenant-attr:tenant_id': z.string().optional(),
  metadata: z.record(z.string(), z.string()).default({}),
});

const volumesSchema = z.object({
  volumes: z.array(volumeSchema),
  volumes_links: z.array(z.object({ rel: z.string(), href: z.string() })).optional(),
});

const BUSY = new Set(['attaching', 'detaching', 'creating', 'backing-up', 'restoring-backup', 'downloading', 'uploading', 'extending']);

/** Maps a Cinder volume body to the planner's shape. */
export function toVolumeInfo(volume: z.infer<typeof volumeSchema>): VolumeInfo {
  return {
    id: volume.id,
    name: volume.name ?? '',
    projectId: volume['os-vol-tenant-attr:tenant_id'] ?? '',
    status: volume.status,
    attachedTo: volume.attachments.map((a) => a.server_id),
    metadata: volume.metadata,
  };
}

export class CinderVolumes implements BlockStorage {
  constructor(private readonly client: ServiceClient) {}

  async listVolumes(request: PageRequest & { projectId?: string } = {}): Promise<Page<VolumeInfo>> {
    const body = await this.list('/volumes/detail', 'volumes of project', volumesSchema, request);
    return { ...body.page, items: body.rows.volumes.map(toVolumeInfo), ...pageMarker(body.rows.volumes, body.rows.volumes_links) };
  }

  async listSnapshots(request: PageRequest & { projectId?: string } = {}): Promise<Page<VolumeSnapshotInfo>> {
    const body = await this.list('/snapshots/detail', 'volume snapshots of project', snapshotsSchema, request);
    const items = body.rows.snapshots.map((s) => ({
      id: s.id, name: s.name ?? '', projectId: s['os-extended-snapshot-attributes:project_id'] ?? '', volumeId: s.volume_id, status: s.status,
    }));
    return { ...body.page, items, ...pageMarker(body.rows.snapshots, body.rows.snapshots_links) };
  }

  async deleteSnapshot(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/snapshots/${idSegment('snapshotId', id)}`, { resource: 'volume snapshot', id }, { signal, conflictStatuses: [400] });
  }

  /** A listing as this credential may make it: all projects for an admin, its own project otherwise. */
  private async list<T extends z.ZodType>(base: string, what: string, schema: T, request: PageRequest & { projectId?: string }): Promise<{ rows: z.infer<T>; page: Pick<Page<unknown>, 'partial'> }> {
    const access = await this.client.access(request.signal);
    const own = !this.client.seesAll(access);
    if (own && request.projectId && request.projectId !== access.projectId) throw new OpenStackNotVisibleError(what, request.projectId, this.client.whyNotVisible(access));
    const path = withQuery(base, {
      all_tenants: own ? undefined : 1,
      project_id: own ? undefined : request.projectId,
      limit: request.limit,
      marker: request.marker ? idSegment('marker', request.marker) : undefined,
    });
    const rows = await this.client.getJson(path, schema, { signal: request.signal });
    const partial = own && !request.projectId ? { visibleProject: access.projectId, reason: this.client.whyNotVisible(access) } : undefined;
    return { rows, page: partial ? { partial } : {} };
  }

  async getVolume(id: string, signal?: AbortSignal): Promise<VolumeInfo | undefined> {
    try {
      const body = await this.client.getJson(`/volumes/${idSegment('volumeId', id)}`, z.object({ volume: volumeSchema }), {
        signal,
        subject: { resource: 'volume', id },
      });
      return toVolumeInfo(body.volume);
    } catch (err) {
      if (err instanceof OpenStackNotFoundError) return undefined;
      throw err;
    }
  }

  async deleteVolume(id: string, signal?: AbortSignal): Promise<boolean> {
    try {
      return await this.client.deleteIdempotent(`/volumes/${idSegment('volumeId', id)}`, { resource: 'volume', id }, {
        signal,
        conflictStatuses: [400],
      });
    } catch (err) {
      if (!(err instanceof OpenStackConflictError)) throw err;
      const now = await this.getVolume(id, signal);
      if (!now || now.status === 'deleting' || now.status === 'deleted') return false;
      if (BUSY.has(now.status)) throw new OpenStackConflictError('volume', id, err.status, `status ${now.status}: ${err.detail}`, true);
      throw new OpenStackConflictError('volume', id, err.status, `status ${now.status}${now.attachedTo?.length ? `, attached to ${now.attachedTo.join(', ')}` : ''}: ${err.detail}`);
    }
  }
}

function pageMarker(items: unknown[], links: { rel: string; href: string }[] | undefined): { nextMarker?: string } {
  const nextMarker = items.length > 0 ? markerOfNext(links) : undefined;
  return nextMarker ? { nextMarker } : {};
}
