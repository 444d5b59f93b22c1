// Cinder v3: volumes listed page by page and deleted idempotently. Cinder answers 400 (not 409)
// when a volume cannot be deleted because it is attached or busy.
import { z } from 'zod';
import { type VolumeInfo } from '../../workflows/lifecycle-types.js';
import { OpenStackConflictError, OpenStackNotFoundError } from './errors.js';
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
}

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
    const path = withQuery('/volumes/detail', {
      all_tenants: 1,
      project_id: request.projectId,
      limit: request.limit,
      marker: request.marker ? idSegment('marker', request.marker) : undefined,
    });
    const body = await this.client.getJson(path, volumesSchema, { signal: request.signal });
    const items = body.volumes.map(toVolumeInfo);
    const nextMarker = items.length > 0 ? markerOfNext(body.volumes_links) : undefined;
    return { items, ...(nextMarker ? { nextMarker } : {}) };
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
