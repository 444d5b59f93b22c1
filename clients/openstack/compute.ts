// Nova (compute v2.1): servers listed page by page, instance action logs, shelve, delete,
// metadata, and a server's status and addresses for deployment.
import { z } from 'zod';
import { type InstanceAction, type ServerInfo } from '../../workflows/lifecycle-types.js';
import { OpenStackConflictError, OpenStackInputError, OpenStackNotFoundError, OpenStackNotVisibleError } from './errors.js';
import { idSegment, sleep, withQuery } from './http.js';
import { markerOfNext, type Page, type PageRequest, type ServiceClient } from './service.js';

/** An IP address of a server, from Nova's `addresses`. */
export interface ServerAddress {
  network: string;
  address: string;
  version: 4 | 6;
  /** `fixed` or `floating` (Nova's `OS-EXT-IPS:type`). */
  type?: string;
}

/** A server with what deployment needs on top of the planner's view. */
export interface ServerDetail extends ServerInfo {
  /** Nova's `OS-EXT-STS:task_state`: non-null while an operation is running. */
  taskState?: string | null;
  addresses: ServerAddress[];
}

/** The Nova operations stratus uses. */
export interface Compute {
  /**
   * One page of `GET /servers/detail`: all projects unless `projectId` narrows it. A credential
   * without `admin` lists its own project only (the page says so in `partial`); asking it for
   * another project is an OpenStackNotVisibleError, never Nova's 403.
   */
  listServers(request?: PageRequest & { projectId?: string; allTenants?: boolean }): Promise<Page<ServerDetail>>;
  /** The server, or `undefined` when it does not exist. */
  getServer(id: string, signal?: AbortSignal): Promise<ServerDetail | undefined>;
  /** The instance action log (`os-instance-actions`), start times as ISO UTC. */
  listInstanceActions(id: string, signal?: AbortSignal): Promise<InstanceAction[]>;
  /**
   * Shelves a server; waits out a running task first. `already-shelved` when it was shelved
   * before this call. Throws OpenStackNotFoundError if missing, OpenStackConflictError if Nova
   * refuses (busy ones with `busy: true`).
   */
  /** `known`: the server as the caller just fetched it, which spares the first GET. */
  shelveServer(id: string, signal?: AbortSignal, known?: ServerDetail): Promise<'shelved' | 'already-shelved'>;
  /** Deletes a server; `false` when it was already gone. */
  deleteServer(id: string, signal?: AbortSignal): Promise<boolean>;
  getServerMetadata(id: string, signal?: AbortSignal): Promise<Record<string, string>>;
  /** Merges keys into the server's metadata (`POST …/metadata`); returns the whole metadata. */
  setServerMetadata(id: string, metadata: Record<string, string>, signal?: AbortSignal): Promise<Record<string, string>>;
}

const linksSchema = z.array(z.object({ rel: z.string(), href: z.string() })).optional();

const serverSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  tenant_id: z.string(),
  updated: z.string(),
  image: z.union([z.object({ id: z.string() }), z.string(), z.null()]).optional(),
  metadata: z.record(z.string(), z.string()).default({}),
  addresses: z
    .record(z.string(), z.array(z.object({ addr: z.string(), version: z.number(), 'OS-EXT-IPS:type': z.string().optional() })))
    .default({}),
  'OS-EXT-STS:task_state': z.string().nullish(),
});

const serversSchema = z.object({ servers: z.array(serverSchema), servers_links: linksSchema });
const actionsSchema = z.object({ instanceActions: z.array(z.object({ action: z.string(), start_time: z.string() })) });
const metadataSchema = z.object({ metadata: z.record(z.string(), z.string()) });

const SHELVED = new Set(['SHELVED', 'SHELVED_OFFLOADED']);

/** Nova times come with or without a zone (`2024-01-01T10:00:00.000000`); they are UTC. */
export function novaTime(value: string): string {
  const withZone = /(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** Maps a Nova server body to the planner's shape; kept apart from the HTTP code. */
export function toServerDetail(server: z.infer<typeof serverSchema>): ServerDetail {
  const imageId = typeof server.image === 'object' && server.image ? server.image.id : undefined;
  const addresses: ServerAddress[] = [];
  for (const [network, list] of Object.entries(server.addresses)) {
    for (const a of list) addresses.push({ network, address: a.addr, version: a.version === 6 ? 6 : 4, type: a['OS-EXT-IPS:type'] });
  }
  return {
    id: server.id,
    name: server.name,
    projectId: server.tenant_id,
    status: server.status,
    updated: novaTime(server.updated),
    ...(imageId ? { imageId } : {}),
    metadata: server.metadata,
    taskState: server['OS-EXT-STS:task_state'] ?? null,
    addresses,
  };
}

/** Shelve waits this many times for a running task to finish before reporting "busy". */
const BUSY_TRIES = 5;

export class NovaCompute implements Compute {
  constructor(private readonly client: ServiceClient, private readonly busyDelayMs = 1000) {}

  async listServers(request: PageRequest & { projectId?: string; allTenants?: boolean } = {}): Promise<Page<ServerDetail>> {
    const access = await this.client.access(request.signal);
    const own = !this.client.seesAll(access);
    if (own && request.projectId && request.projectId !== access.projectId) {
      throw new OpenStackNotVisibleError('servers of project', request.projectId, this.client.whyNotVisible(access));
    }
    // Nova answers all_tenants from a member with 403 and ignores project_id without it.
    const allTenants = !own && (request.allTenants !== false || (request.projectId !== undefined && request.projectId !== access.projectId));
    const path = withQuery('/servers/detail', {
      all_tenants: allTenants ? 1 : undefined,
      project_id: allTenants ? request.projectId : undefined,
      limit: request.limit,
      marker: request.marker ? idSegment('marker', request.marker) : undefined,
    });
    const body = await this.client.getJson(path, serversSchema, { signal: request.signal });
    const items = body.servers.map(toServerDetail);
    const nextMarker = items.length > 0 ? markerOfNext(body.servers_links) : undefined;
    const partial = own && !request.projectId && request.allTenants !== false ? { visibleProject: access.projectId, reason: this.client.whyNotVisible(access) } : undefined;
    return { items, ...(nextMarker ? { nextMarker } : {}), ...(partial ? { partial } : {}) };
  }

  async getServer(id: string, signal?: AbortSignal): Promise<ServerDetail | undefined> {
    try {
      const body = await this.client.getJson(`/servers/${idSegment('serverId', id)}`, z.object({ server: serverSchema }), {
        signal,
        subject: { resource: 'server', id },
      });
      return toServerDetail(body.server);
    } catch (err) {
      if (err instanceof OpenStackNotFoundError) return undefined;
      throw err;
    }
  }

  async listInstanceActions(id: string, signal?: AbortSignal): Promise<InstanceAction[]> {
    const body = await this.client.getJson(`/servers/${idSegment('serverId', id)}/os-instance-actions`, actionsSchema, {
      signal,
      subject: { resource: 'server', id },
    });
    return body.instanceActions.map((a) => ({ action: a.action, startTime: novaTime(a.start_time) }));
  }

  async shelveServer(id: string, signal?: AbortSignal, known?: ServerDetail): Promise<'shelved' | 'already-shelved'> {
    const path = `/servers/${idSegment('serverId', id)}`;
    let lastDetail = '';
    for (let attempt = 1; attempt <= BUSY_TRIES; attempt++) {
      const server = attempt === 1 && known ? known : await this.getServer(id, signal);
      if (!server) throw new OpenStackNotFoundError('server', id);
      if (SHELVED.has(server.status)) return 'already-shelved';
      if (!server.taskState) {
        try {
          await this.client.call('POST', `${path}/action`, { json: { shelve: null }, subject: { resource: 'server', id }, idempotent: true, signal });
          return 'shelved';
        } catch (err) {
          if (!(err instanceof OpenStackConflictError)) throw err;
          lastDetail = err.detail;
          const now = await this.getServer(id, signal);
          if (!now) throw new OpenStackNotFoundError('server', id);
          if (SHELVED.has(now.status)) return 'already-shelved';
          if (!now.taskState) throw err; // a state Nova will not shelve from (ERROR, BUILD, …)
        }
      } else {
        lastDetail = `task ${server.taskState} in progress`;
      }
      if (attempt < BUSY_TRIES) await sleep(this.busyDelayMs * attempt, signal);
    }
    throw new OpenStackConflictError('server', id, 409, lastDetail, true);
  }

  async deleteServer(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/servers/${idSegment('serverId', id)}`, { resource: 'server', id }, { signal });
  }

  async getServerMetadata(id: string, signal?: AbortSignal): Promise<Record<string, string>> {
    const body = await this.client.getJson(`/servers/${idSegment('serverId', id)}/metadata`, metadataSchema, {
      signal,
      subject: { resource: 'server', id },
    });
    return body.metadata;
  }

  async setServerMetadata(id: string, metadata: Record<string, string>, signal?: AbortSignal): Promise<Record<string, string>> {
    for (const [key, value] of Object.entries(metadata)) {
      if (!key || key.length > 255) throw new OpenStackInputError(`metadata.${key}`, 'keys must be 1-255 characters');
      if (typeof value !== 'string' || value.length > 255) {
        throw new OpenStackInputError(`metadata.${key}`, 'values must be strings of at most 255 characters');
      }
    }
    const body = await this.client.sendJson('POST', `/servers/${idSegment('serverId', id)}/metadata`, metadataSchema, {
      json: { metadata },
      subject: { resource: 'server', id },
      idempotent: true,
      signal,
    });
    return body.metadata;
  }
}
