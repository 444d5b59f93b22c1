// OpenStack activities of the resource lifecycle and the image pipeline: inventory page by page,
// shelve/delete guarded by the state the planner saw, a project purge in dependency order,
// unfeature, idempotent Glance upload, server metadata, and waiting for ACTIVE. Long ones
// heartbeat and pass the cancellation signal to every HTTP call; adapter errors become
// ApplicationFailures with stable types.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  OpenStackAuthError, OpenStackConflictError, OpenStackError, OpenStackHttpError, OpenStackInputError, OpenStackNotFoundError,
  OpenStackNotVisibleError, OpenStackRateLimitError, OpenStackResponseError, OpenStackUnavailableError, ROUTER_INTERFACE_OWNERS, missingRole,
  type Cloud, type CredentialAccess, type Page, type ServerAddress,
} from '../clients/openstack/index.js';
import { sleep } from '../clients/openstack/http.js';
import { DELETION_ORDER, type ImageVisibility, type Inventory, type ResourceType, type ServerInfo } from '../workflows/lifecycle-types.js';

/** What the OpenStack activities need. */
export interface OpenStackActivityDeps {
  cloud: Cloud;
  /** Projects that must never be purged (the admin/service projects). */
  protectedProjectIds?: string[];
  /** Poll interval of the waiting activities (default 5 s). */
  pollIntervalMs?: number;
}

export type InventoryKind =
  | 'servers' | 'images' | 'volumes' | 'floatingIps' | 'networks' | 'routers' | 'ports' | 'volumeSnapshots' | 'securityGroups' | 'containers';
/** The default kinds; `containers` is listed per project, so only when asked for with `projectIds`. */
const KINDS: InventoryKind[] = ['servers', 'images', 'volumes', 'volumeSnapshots', 'floatingIps', 'networks', 'routers', 'ports', 'securityGroups'];
/** Image markers of the second pass, over `os_hidden` images (Glance lists them only when asked). */
const HIDDEN = 'hidden:';
/** The deletion order before snapshots and security groups: what a heartbeat's `done` index counted in. */
const ORDER_BEFORE_SNAPSHOTS: ResourceType[] = ['floating-ip', 'server', 'volume', 'image', 'router', 'port', 'network', 'container'];

/** Where a listing stands: the kind being listed and the marker of its next page. */
export interface InventoryCursor {
  kind: InventoryKind;
  marker?: string;
  /** `containers`: index into `projectIds` of the account being listed. */
  project?: number;
}

/** Input of `listInventory`: one page of one kind per call; the workflow loops on `next`. */
export interface ListInventoryInput {
  cursor?: InventoryCursor;
  /** Kinds to list, in order (default all). */
  kinds?: InventoryKind[];
  pageSize?: number;
  /** Servers in these states get their instance action log looked up (default: stopped/suspended/paused/shelved). */
  actionLogStates?: string[];
  /** `containers`: the projects whose Swift accounts are listed (Swift cannot list accounts). */
  projectIds?: string[];
}

export interface ListInventoryResult {
  /** This page's resources; every other array is empty. */
  inventory: Inventory;
  /** Absent when every kind has been listed. */
  next?: InventoryCursor;
}

/** Act only if the resource is still as the plan saw it. */
export interface ServerGuard {
  serverId: string;
  /** The server's project as planned: a 404 for another project's server means "not visible" to a member credential. */
  projectId?: string;
  /** Skip unless the server's status is one of these. */
  onlyIfStatus?: string[];
  /** Skip if the server changed after this ISO time (someone touched it since planning). */
  unchangedSince?: string;
}

export interface ServerActionResult {
  serverId: string;
  /**
   * `not-visible`: the server did not answer to this credential (another project's, without the
   * admin role), so whether it still exists is unknown; never counted as done.
   */
  outcome: 'shelved' | 'already-shelved' | 'deleted' | 'already-gone' | 'skipped' | 'not-visible';
  /** Why it was skipped or not visible. */
  reason?: string;
}

export interface DeleteProjectResourcesResult {
  projectId: string;
  /** Resources this activity deleted, by type. */
  deleted: Partial<Record<ResourceType, number>>;
  /** Resources that could not be deleted (reported, not retried forever). */
  failed: { type: ResourceType; id: string; message: string }[];
  /** Resources the cloud keeps by design (a project's `default` security group for a member credential). */
  kept?: { type: ResourceType; id: string; message: string }[];
}

export interface UploadImageInput {
  name: string;
  /** Local path of the image file. */
  file: string;
  properties?: Record<string, string>;
  diskFormat?: string;
  containerFormat?: string;
  visibility?: ImageVisibility;
}

export interface UploadImageResult {
  imageId: string;
  outcome: 'uploaded' | 'existing';
  sha256: string;
}

/** Image property that makes uploads idempotent: the same name and content is the same image. */
export const SHA256_PROPERTY = 'stratus_sha256';
const DEFAULT_LOG_STATES = ['SHUTOFF', 'SUSPENDED', 'PAUSED', 'SHELVED', 'SHELVED_OFFLOADED'];
const emptyInventory = (): Inventory => ({ servers: [], images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [] });

/** A 404 is conclusive for a credential that sees every project, or for a resource of its own project. */
const conclusive = (access: CredentialAccess, projectId: string | undefined): boolean => access.allProjects || projectId === access.projectId;

function ctx(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
const signal = (): AbortSignal | undefined => ctx()?.cancellationSignal;
const heartbeat = (details: unknown): void => ctx()?.heartbeat(details);

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function collect<T>(list: (marker?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const page = await list(marker);
    items.push(...page.items);
    marker = page.nextMarker;
  } while (marker);
  return items;
}

export function createOpenStackActivities({ cloud, protectedProjectIds = [], pollIntervalMs = 5000 }: OpenStackActivityDeps) {
  const guarded = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        if (signal()?.aborted) throw err;
        throw toFailure(err);
      }
    };

  async function listPage(kind: InventoryKind, limit: number, cursor: InventoryCursor, logStates: Set<string>, projectIds: string[]): Promise<{ inventory: Inventory; next?: Omit<InventoryCursor, 'kind'> }> {
    const inventory = emptyInventory();
    const marker = cursor.marker;
    const req = { limit, marker, signal: signal() };
    let page: Page<unknown>;
    if (kind === 'servers') {
      const servers = await cloud.compute.listServers(req);
      let looked = 0;
      inventory.servers = await mapLimit(servers.items, 8, async ({ taskState: _t, addresses: _a, ...server }): Promise<ServerInfo> => {
        if (!logStates.has(server.status)) return server;
        const lastActions = await cloud.compute.listInstanceActions(server.id, signal()).catch((err: unknown) => {
          if (err instanceof OpenStackNotFoundError) return undefined; // deleted while listing
          throw err;
        });
        heartbeat({ kind, marker, actionLogs: ++looked });
        return lastActions ? { ...server, lastActions } : server;
      });
      page = servers;
    } else if (kind === 'images') {
      // Two passes: the images Glance lists by default, then the os_hidden ones.
      const hidden = marker?.startsWith(HIDDEN) ?? false;
      const images = await cloud.image.listImages({ ...req, marker: hidden ? marker!.slice(HIDDEN.length) || undefined : marker, hidden });
      inventory.images = images.items.map(({ status: _s, checksum: _c, size: _z, protected: _p, ...image }) => image);
      const nextMarker = images.nextMarker ? `${hidden ? HIDDEN : ''}${images.nextMarker}` : hidden ? undefined : HIDDEN;
      page = { items: images.items, ...(nextMarker ? { nextMarker } : {}), ...(images.partial ? { partial: images.partial } : {}) };
    } else if (kind === 'volumes') {
      page = await cloud.volume.listVolumes(req);
      inventory.volumes = page.items as Inventory['volumes'];
    } else if (kind === 'volumeSnapshots') {
      page = await cloud.volume.listSnapshots(req);
      inventory.volumeSnapshots = page.items as NonNullable<Inventory['volumeSnapshots']>;
    } else if (kind === 'securityGroups') {
      page = await cloud.network.listSecurityGroups(req);
      inventory.securityGroups = page.items as NonNullable<Inventory['securityGroups']>;
    } else if (kind === 'containers') {
      const at = cursor.project ?? 0;
      const projectId = projectIds[at];
      if (projectId === undefined) return { inventory };
      const after = (): Omit<InventoryCursor, 'kind'> | undefined => (at + 1 < projectIds.length ? { project: at + 1 } : undefined);
      try {
        const containers = await cloud.objectStore.listContainers(projectId, req);
        inventory.containers = containers.items;
        return { inventory, next: containers.nextMarker ? { project: at, marker: containers.nextMarker } : after() };
      } catch (err) {
        if (!(err instanceof OpenStackNotVisibleError)) throw err;
        inventory.unseen = [{ kind, projects: projectId, reason: err.reason }];
        return { inventory, next: after() };
      }
    } else {
      const lists: Record<typeof kind, () => Promise<Page<unknown>>> = {
        floatingIps: () => cloud.network.listFloatingIps(req),
        networks: () => cloud.network.listNetworks(req),
        routers: () => cloud.network.listRouters(req),
        ports: () => cloud.network.listPorts(req),
      };
      page = await lists[kind]();
      (inventory[kind] as unknown[]) = page.items;
    }
    if (page.partial) inventory.unseen = [{ kind, projects: `every project but ${page.partial.visibleProject}`, reason: page.partial.reason }];
    return { inventory, ...(page.nextMarker ? { next: { marker: page.nextMarker } } : {}) };
  }

  /** The server as it is now, or why the planned action no longer applies to it. */
  async function guard(input: ServerGuard): Promise<{ skip: ServerActionResult } | { server: NonNullable<Awaited<ReturnType<typeof cloud.compute.getServer>>> }> {
    const server = await cloud.compute.getServer(input.serverId, signal());
    if (!server) return { skip: await gone(input) };
    if (input.onlyIfStatus && !input.onlyIfStatus.includes(server.status)) {
      return { skip: { serverId: input.serverId, outcome: 'skipped', reason: `status is ${server.status}, expected ${input.onlyIfStatus.join(' or ')}` } };
    }
    if (input.unchangedSince && Date.parse(server.updated) > Date.parse(input.unchangedSince)) {
      return { skip: { serverId: input.serverId, outcome: 'skipped', reason: `changed at ${server.updated}, after ${input.unchangedSince}` } };
    }
    return { server };
  }

  /** "Already gone" only when this credential could have seen it; else "not visible". */
  async function gone(input: ServerGuard): Promise<ServerActionResult> {
    const access = await cloud.access(signal());
    if (conclusive(access, input.projectId)) return { serverId: input.serverId, outcome: 'already-gone' };
    const why = new OpenStackNotVisibleError('server', input.serverId, `${input.projectId ? `it is in project ${input.projectId}; ` : ''}this credential ${missingRoleWords(access)}`);
    return { serverId: input.serverId, outcome: 'not-visible', reason: why.message };
  }

  /** Deletes with a few in-activity retries while the resource is busy; other conflicts are reported. */
  async function purgeOne(type: ResourceType, id: string, del: () => Promise<boolean>, result: DeleteProjectResourcesResult): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (await del()) result.deleted[type] = (result.deleted[type] ?? 0) + 1;
        return;
      } catch (err) {
        // The purge only runs on projects this credential sees (checked first): a 404 there is gone.
        if (err instanceof OpenStackNotVisibleError) return;
        if (err instanceof OpenStackConflictError && type === 'security-group' && /default security group/i.test(err.detail)) {
          (result.kept ??= []).push({ type, id, message: `kept: the cloud refuses to delete a project's default security group to this credential (${err.detail})` });
          return;
        }
        if (err instanceof OpenStackConflictError && err.busy && attempt < 4) {
          await sleep(Math.min(pollIntervalMs, 1000) * attempt, signal());
          continue;
        }
        if (err instanceof OpenStackConflictError) {
          result.failed.push({ type, id, message: err.message });
          return;
        }
        throw err;
      }
    }
  }

  const stages: Record<ResourceType, (projectId: string, r: DeleteProjectResourcesResult) => Promise<void>> = {
    'floating-ip': async (p, r) => {
      for (const f of await collect((m) => cloud.network.listFloatingIps({ projectId: p, marker: m, signal: signal() }))) {
        await purgeOne('floating-ip', f.id, () => cloud.network.deleteFloatingIp(f.id, signal()), r);
      }
    },
    server: async (p, r) => {
      const servers = await collect((m) => cloud.compute.listServers({ projectId: p, marker: m, signal: signal() }));
      for (const s of servers) await purgeOne('server', s.id, () => cloud.compute.deleteServer(s.id, signal()), r);
      // Volumes stay attached until Nova has really removed the servers.
      for (let polls = 0; polls < 120; polls++) {
        const left = (await cloud.compute.listServers({ projectId: p, limit: 1, signal: signal() })).items;
        if (left.length === 0) return;
        heartbeat({ projectId: p, stage: 'server', waitingFor: left[0].id });
        await sleep(pollIntervalMs, signal());
      }
      throw ApplicationFailure.retryable(`servers of project ${p} are still being deleted`, 'ServerDeletionPending', { projectId: p });
    },
    'volume-snapshot': async (p, r) => {
      for (const snap of await collect((m) => cloud.volume.listSnapshots({ projectId: p, marker: m, signal: signal() }))) {
        await purgeOne('volume-snapshot', snap.id, () => cloud.volume.deleteSnapshot(snap.id, signal()), r);
      }
      // Cinder deletes snapshots asynchronously; their volumes refuse deletion (400) until they are gone.
      for (let polls = 0; polls < 120; polls++) {
        const left = (await cloud.volume.listSnapshots({ projectId: p, limit: 1, signal: signal() })).items;
        if (left.length === 0 || left.every((x) => x.status.startsWith('error'))) return;
        heartbeat({ projectId: p, stage: 'volume-snapshot', waitingFor: left[0].id });
        await sleep(pollIntervalMs, signal());
      }
      throw ApplicationFailure.retryable(`volume snapshots of project ${p} are still being deleted`, 'SnapshotDeletionPending', { projectId: p });
    },
    volume: async (p, r) => {
      for (const v of await collect((m) => cloud.volume.listVolumes({ projectId: p, marker: m, signal: signal() }))) {
        await purgeOne('volume', v.id, () => cloud.volume.deleteVolume(v.id, signal()), r);
      }
    },
    image: async (p, r) => {
      // os_hidden images too: Glance lists them only when asked for.
      for (const hidden of [false, true]) {
        for (const i of await collect((m) => cloud.image.listImages({ owner: p, hidden, marker: m, signal: signal() }))) {
          if (i.ownerProjectId !== p) continue;
          // the project is purged whole: a protected image (Glance refuses to delete it, 403) is unprotected first
          await purgeOne('image', i.id, async () => {
            if (i.protected) await cloud.image.updateImage(i.id, { protected: false }, signal());
            return cloud.image.deleteImage(i.id, signal());
          }, r);
        }
      }
    },
    router: async (p, r) => {
      for (const router of await collect((m) => cloud.network.listRouters({ projectId: p, marker: m, signal: signal() }))) {
        const ports = await collect((m) => cloud.network.listPorts({ deviceId: router.id, marker: m, signal: signal() }));
        for (const port of ports.filter((x) => ROUTER_INTERFACE_OWNERS.has(x.deviceOwner ?? ''))) {
          await cloud.network.removeRouterInterface(router.id, port.id, signal());
        }
        await purgeOne('router', router.id, () => cloud.network.deleteRouter(router.id, signal()), r);
      }
    },
    port: async (p, r) => {
      // Ports owned by Neutron itself (DHCP, gateways, router interfaces) go with their network/router.
      const ports = await collect((m) => cloud.network.listPorts({ projectId: p, marker: m, signal: signal() }));
      for (const port of ports.filter((x) => !(x.deviceOwner ?? '').startsWith('network:'))) {
        await purgeOne('port', port.id, () => cloud.network.deletePort(port.id, signal()), r);
      }
    },
    'security-group': async (p, r) => {
      // After the ports: a group some port still uses is in use (409). Listed without a project
      // filter: Neutron re-creates a project's `default` group whenever its groups are listed by
      // project. An admin may delete `default`, a member may not (kept, not failed).
      const groups = await collect((m) => cloud.network.listSecurityGroups({ marker: m, signal: signal() }));
      for (const g of groups.filter((x) => x.projectId === p)) {
        await purgeOne('security-group', g.id, () => cloud.network.deleteSecurityGroup(g.id, signal()), r);
      }
    },
    network: async (p, r) => {
      for (const n of await collect((m) => cloud.network.listNetworks({ projectId: p, marker: m, signal: signal() }))) {
        await purgeOne('network', n.id, () => cloud.network.deleteNetwork(n.id, signal()), r);
      }
    },
    container: async (p, r) => {
      for (const c of await collect((m) => cloud.objectStore.listContainers(p, { marker: m, signal: signal() }))) {
        let objects: { name: string }[];
        do {
          objects = (await cloud.objectStore.listObjects(p, c.name, { signal: signal() })).items;
          await mapLimit(objects, 8, (o) => cloud.objectStore.deleteObject(p, c.name, o.name, signal()).catch((err: unknown) => {
            if (err instanceof OpenStackNotVisibleError) return false; // our own account: a 404 is gone
            throw err;
          }));
          heartbeat({ projectId: p, stage: 'container', container: c.name });
        } while (objects.length > 0);
        await purgeOne('container', c.name, () => cloud.objectStore.deleteContainer(p, c.name, signal()), r);
      }
    },
  };

  return {
    /** One page of one kind of resource, mapped to the planner's types; servers that could be due come with their action log. */
    listInventory: guarded(async (input: ListInventoryInput = {}): Promise<ListInventoryResult> => {
      const kinds = input.kinds ?? KINDS;
      const cursor = input.cursor ?? { kind: kinds[0] };
      const at = kinds.indexOf(cursor.kind);
      if (at < 0) throw new OpenStackInputError('cursor.kind', `"${cursor.kind}" is not one of ${kinds.join(', ')}`);
      heartbeat({ cursor });
      const { inventory, next: more } = await listPage(cursor.kind, input.pageSize ?? 500, cursor, new Set(input.actionLogStates ?? DEFAULT_LOG_STATES), input.projectIds ?? []);
      const next = more ? { kind: cursor.kind, ...more } : at + 1 < kinds.length ? { kind: kinds[at + 1] } : undefined;
      heartbeat({ cursor, next });
      return { inventory, ...(next ? { next } : {}) };
    }),

    /** Shelves a server if it is still in the state the plan saw; shelving a shelved one is done. */
    shelveServer: guarded(async (input: ServerGuard): Promise<ServerActionResult> => {
      const checked = await guard(input);
      if ('skip' in checked) return checked.skip;
      try {
        return { serverId: input.serverId, outcome: await cloud.compute.shelveServer(input.serverId, signal(), checked.server) };
      } catch (err) {
        if (err instanceof OpenStackNotFoundError) return gone(input);
        throw err;
      }
    }),

    /** Deletes a server if it is still in the state the plan saw; a missing one counts as done. */
    deleteServer: guarded(async (input: ServerGuard): Promise<ServerActionResult> => {
      const checked = await guard(input);
      if ('skip' in checked) return checked.skip;
      try {
        const deleted = await cloud.compute.deleteServer(input.serverId, signal());
        return { serverId: input.serverId, outcome: deleted ? 'deleted' : 'already-gone' };
      } catch (err) {
        if (err instanceof OpenStackNotVisibleError) return gone(input);
        throw err;
      }
    }),

    /**
     * Deletes everything a project owns in the order of DELETION_ORDER. A retried attempt resumes
     * after the stage its predecessor heartbeated; a stage is re-listed, so it is safe to repeat.
     * A project this credential cannot see is refused (non-retryable), never "purged" blind.
     */
    deleteProjectResources: guarded(async (input: { projectId: string }): Promise<DeleteProjectResourcesResult> => {
      const { projectId } = input;
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(projectId ?? '')) throw new OpenStackInputError('projectId', `"${projectId}" is not a project id`);
      if (protectedProjectIds.includes(projectId)) {
        throw ApplicationFailure.nonRetryable(`project ${projectId} is protected and is never purged`, 'ProtectedProject', { projectId });
      }
      const access = await cloud.access(signal());
      if (!conclusive(access, projectId)) {
        throw ApplicationFailure.nonRetryable(
          `project ${projectId} cannot be purged with this credential: its resources are not visible to it (${missingRoleWords(access)})`,
          'OpenStackNotVisible', { projectId },
        );
      }
      const previous = ctx()?.info.heartbeatDetails as { projectId?: string; done?: number; stage?: ResourceType; result?: DeleteProjectResourcesResult } | undefined;
      const resume = previous?.projectId === projectId && previous.result ? previous : undefined;
      const result: DeleteProjectResourcesResult = resume?.result ?? { projectId, deleted: {}, failed: [] };
      // Resume after the stage named in the heartbeat (an index would shift when the table grows).
      const lastDone = resume?.stage ?? (resume?.done ? ORDER_BEFORE_SNAPSHOTS[resume.done - 1] : undefined);
      const from = lastDone ? DELETION_ORDER.indexOf(lastDone) + 1 : 0;
      for (let i = from; i < DELETION_ORDER.length; i++) {
        await stages[DELETION_ORDER[i]](projectId, result);
        heartbeat({ projectId, done: i + 1, stage: DELETION_ORDER[i], result });
      }
      return result;
    }),

    /** Takes an image off the featured list (see FeaturedFlag); optionally hides it (`community`). */
    unfeatureImage: guarded(async (input: { imageId: string; hide?: boolean }): Promise<{ imageId: string; outcome: 'unfeatured' | 'already' | 'gone' }> => {
      const image = await cloud.image.getImage(input.imageId, signal());
      if (!image) return { imageId: input.imageId, outcome: 'gone' };
      const flag = cloud.image.featuredFlag;
      const hidden = !input.hide || image.visibility === 'community';
      if (!image.featured && hidden) return { imageId: input.imageId, outcome: 'already' };
      await cloud.image.updateImage(
        input.imageId,
        {
          ...(flag.unfeaturedValue !== undefined ? { set: { [flag.property]: flag.unfeaturedValue } } : { remove: [flag.property] }),
          ...(input.hide ? { visibility: 'community' as const } : {}),
        },
        signal(),
      );
      return { imageId: input.imageId, outcome: 'unfeatured' };
    }),

    /** Uploads a file once: an active image with the same name and SHA-256 is reused. */
    uploadImageToGlance: guarded(async (input: UploadImageInput): Promise<UploadImageResult> => {
      if (!input.name?.trim()) throw new OpenStackInputError('name', 'an image needs a name');
      const sha256 = await fileSha256(input.file);
      const same = (await collect((m) => cloud.image.listImages({ name: input.name, marker: m, signal: signal() }))).filter(
        (i) => i.properties[SHA256_PROPERTY] === sha256,
      );
      const active = same.find((i) => i.status === 'active');
      if (active) return { imageId: active.id, outcome: 'existing', sha256 };
      let target = same.find((i) => i.status === 'queued');
      for (const stale of same.filter((i) => i !== target)) await cloud.image.deleteImage(stale.id, signal()); // killed or half-saved
      target ??= await cloud.image.createImage(
        {
          name: input.name,
          diskFormat: input.diskFormat ?? 'qcow2',
          containerFormat: input.containerFormat ?? 'bare',
          visibility: input.visibility ?? 'private',
          properties: { ...input.properties, [SHA256_PROPERTY]: sha256 },
        },
        signal(),
      );
      heartbeat({ imageId: target.id, stage: 'uploading' });
      await cloud.image.uploadImageFile(target.id, input.file, { signal: signal() });
      const after = await cloud.image.getImage(target.id, signal());
      if (after?.status !== 'active') {
        throw ApplicationFailure.retryable(`image ${target.id} is ${after?.status ?? 'gone'} after the upload`, 'ImageUploadIncomplete', { imageId: target.id });
      }
      return { imageId: target.id, outcome: 'uploaded', sha256 };
    }),

    /** Merges keys into a server's metadata (e.g. the deployment result). */
    setServerMetadata: guarded(async (input: { serverId: string; metadata: Record<string, string> }): Promise<{ metadata: Record<string, string> }> => {
      try {
        return { metadata: await cloud.compute.setServerMetadata(input.serverId, input.metadata, signal()) };
      } catch (err) {
        if (err instanceof OpenStackNotFoundError) throw new OpenStackNotFoundError('server', input.serverId);
        throw err;
      }
    }),

    /** Polls until the server is ACTIVE with no task running; heartbeats its status. */
    waitForServerActive: guarded(async (input: { serverId: string; pollIntervalMs?: number; timeoutMs?: number }): Promise<{ serverId: string; status: string; addresses: ServerAddress[] }> => {
      const deadline = input.timeoutMs ? Date.now() + input.timeoutMs : Infinity;
      for (;;) {
        const server = await cloud.compute.getServer(input.serverId, signal());
        if (!server) throw new OpenStackNotFoundError('server', input.serverId);
        if (server.status === 'ERROR') throw ApplicationFailure.nonRetryable(`server ${input.serverId} went into ERROR`, 'ServerInError', { serverId: input.serverId });
        if (server.status === 'ACTIVE' && !server.taskState) return { serverId: server.id, status: server.status, addresses: server.addresses };
        heartbeat({ status: server.status, taskState: server.taskState });
        if (Date.now() >= deadline) {
          throw ApplicationFailure.retryable(`server ${input.serverId} is ${server.status}, not ACTIVE, after ${input.timeoutMs} ms`, 'ServerNotActive', { serverId: input.serverId, status: server.status });
        }
        await sleep(input.pollIntervalMs ?? pollIntervalMs, signal());
      }
    }),
  };
}

/** `has roles member on project p; seeing other projects needs the admin role` */
function missingRoleWords(access: CredentialAccess): string {
  return missingRole(access, 'admin').replace(/^it /, '');
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      if (bytes % (256 * 1024 * 1024) < (chunk as Buffer).length) heartbeat({ stage: 'hashing', bytes });
    }
  } catch {
    throw new OpenStackInputError('file', `${file} is not a readable file`);
  }
  return hash.digest('hex');
}

/** Maps the client's typed errors to ApplicationFailures with stable types. */
export function toFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof OpenStackAuthError) return ApplicationFailure.nonRetryable(err.message, 'OpenStackAuth');
  if (err instanceof OpenStackConflictError) {
    const details = { resource: err.resource, id: err.id, status: err.status };
    return err.busy ? ApplicationFailure.retryable(err.message, 'OpenStackBusy', details) : ApplicationFailure.nonRetryable(err.message, 'OpenStackConflict', details);
  }
  if (err instanceof OpenStackNotFoundError) return ApplicationFailure.nonRetryable(err.message, 'OpenStackNotFound', { resource: err.resource, id: err.id });
  if (err instanceof OpenStackNotVisibleError) return ApplicationFailure.nonRetryable(err.message, 'OpenStackNotVisible', { resource: err.resource, id: err.id });
  if (err instanceof OpenStackRateLimitError) {
    return ApplicationFailure.create({ message: err.message, type: 'OpenStackRateLimited', nextRetryDelay: err.retryAfterMs, details: [{ retryAfterMs: err.retryAfterMs }] });
  }
  if (err instanceof OpenStackInputError) return ApplicationFailure.nonRetryable(err.message, 'InvalidInput', { field: err.field });
  if (err instanceof OpenStackResponseError) return ApplicationFailure.nonRetryable(err.message, 'OpenStackMalformedResponse', { service: err.service, path: err.path });
  if (err instanceof OpenStackHttpError) {
    return err.transient
      ? ApplicationFailure.retryable(err.message, 'OpenStackUnavailable', { status: err.status })
      : ApplicationFailure.nonRetryable(err.message, 'OpenStackRequestRejected', { status: err.status });
  }
  if (err instanceof OpenStackUnavailableError) return ApplicationFailure.retryable(err.message, 'OpenStackUnavailable');
  if (err instanceof OpenStackError) return ApplicationFailure.nonRetryable(err.message, 'OpenStackConfig');
  return ApplicationFailure.retryable(err instanceof Error ? err.message : String(err), err instanceof Error ? err.name : 'Error');
}
