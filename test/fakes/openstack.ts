// A stateful fake of an OpenStack cloud on 127.0.0.1: Keystone v3 (tokens and a catalog that
// points back at this server), Nova, Glance v2, Cinder v3, Neutron v2.0 and Swift, with in-memory
// state, real limit/marker paging, instance action logs stamped by a settable clock, state
// transitions, the real APIs' dependency refusals, and fault switches.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { createFaultInjector, type FaultInjector } from './http-faults.js';

export interface FakeUser { username: string; password: string; projectId: string; domain?: string }
export interface FakeAppCredential { id: string; secret: string; projectId: string }

export interface FakeOpenStackOptions {
  users?: FakeUser[];
  appCredentials?: FakeAppCredential[];
  /** Token lifetime in real milliseconds (default one hour). */
  tokenTtlMs?: number;
  region?: string;
}

export interface FakeServer {
  id: string; name: string; projectId: string; userId: string; status: string;
  taskState: string | null; updated: string; created: string; imageId?: string;
  metadata: Record<string, string>; actions: { action: string; startTime: string }[];
  addresses: Record<string, { addr: string; version: 4 | 6 }[]>;
  /** GETs of the server during which `taskState` stays set, then it clears. */
  busyFor: number;
}
export interface FakeImage {
  id: string; name: string; status: string; visibility: string; owner: string; protected: boolean;
  diskFormat: string; containerFormat: string; properties: Record<string, string>;
  checksum?: string; sha512?: string; size?: number; data?: Buffer; created: string; updated: string;
}
export interface FakeVolume { id: string; name: string; projectId: string; status: string; attachedTo: string[]; metadata: Record<string, string> }
export interface FakeNetwork { id: string; name: string; projectId: string; shared: boolean }
export interface FakePort { id: string; name: string; projectId: string; networkId: string; deviceOwner: string; deviceId: string }
export interface FakeRouter { id: string; name: string; projectId: string }
export interface FakeFloatingIp { id: string; address: string; projectId: string; portId: string | null }

export interface SeenRequest { method: string; path: string }

export interface FakeOpenStack {
  url: string;
  /** Keystone v3 URL to put in `authUrl`. */
  authUrl: string;
  faults: FaultInjector;
  requests: SeenRequest[];
  servers: Map<string, FakeServer>;
  images: Map<string, FakeImage>;
  volumes: Map<string, FakeVolume>;
  networks: Map<string, FakeNetwork>;
  ports: Map<string, FakePort>;
  routers: Map<string, FakeRouter>;
  floatingIps: Map<string, FakeFloatingIp>;
  /** project → container → object name → bytes */
  objects: Map<string, Map<string, Map<string, Buffer>>>;
  now(): Date;
  setClock(at: Date | string): void;
  advance(ms: number): void;
  /** Invalidate every issued token: the next request with one gets 401. */
  expireTokens(): void;
  addServer(s: Partial<FakeServer> & { name: string; projectId: string }): FakeServer;
  addImage(i: Partial<FakeImage> & { name: string; owner: string }): FakeImage;
  addVolume(v: Partial<FakeVolume> & { projectId: string }): FakeVolume;
  addNetwork(n: Partial<FakeNetwork> & { projectId: string }, options?: { dhcpPort?: boolean }): FakeNetwork;
  addPort(p: Partial<FakePort> & { projectId: string; networkId: string }): FakePort;
  addRouter(r: Partial<FakeRouter> & { projectId: string }): FakeRouter;
  /** Plugs the router into the network: a `network:router_interface` port. */
  addRouterInterface(routerId: string, networkId: string): FakePort;
  addFloatingIp(f: Partial<FakeFloatingIp> & { projectId: string }): FakeFloatingIp;
  addObject(projectId: string, container: string, name?: string, data?: string): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly body: unknown, readonly headers: Record<string, string> = {}) {
    super(`HTTP ${status}`);
  }
}

const ADMIN_PROJECT = 'admin-project';
const novaTime = (iso: string): string => iso.replace('Z', '').replace(/\.(\d{3})$/, '.$1000');
const noMs = (iso: string): string => iso.replace(/\.\d{3}Z$/, 'Z');

/** Returns `items` after `marker` (400 if unknown), at most `limit`, and whether the page is full. */
function page<T extends { id: string }>(items: T[], query: URLSearchParams, maxLimit: number, defaultLimit: number): { rows: T[]; full: boolean; limit: number } {
  const limit = Math.min(Number(query.get('limit') ?? defaultLimit) || defaultLimit, maxLimit);
  const marker = query.get('marker');
  let start = 0;
  if (marker) {
    const at = items.findIndex((i) => i.id === marker);
    if (at < 0) throw new HttpError(400, { badRequest: { code: 400, message: `marker [${marker}] not found` } });
    start = at + 1;
  }
  const rows = items.slice(start, start + limit);
  return { rows, full: rows.length === limit, limit };
}

function nextLinks(url: URL, rows: { id: string }[], full: boolean, limit: number, rel = 'next'): { rel: string; href: string }[] {
  if (!full || rows.length === 0) return [];
  const next = new URL(url);
  next.searchParams.set('marker', rows[rows.length - 1].id);
  next.searchParams.set('limit', String(limit));
  return [{ rel, href: next.toString() }];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(buf: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, { badRequest: { code: 400, message: 'Malformed request body' } });
  }
}

export async function startFakeOpenStack(options: FakeOpenStackOptions = {}): Promise<FakeOpenStack> {
  const users = options.users ?? [{ username: 'admin', password: 'admin-secret', projectId: ADMIN_PROJECT }];
  const creds = options.appCredentials ?? [{ id: 'cred-1', secret: 'cred-secret', projectId: ADMIN_PROJECT }];
  const region = options.region ?? 'RegionOne';
  const tokens = new Map<string, { projectId: string; expiresAt: number }>();
  let clock = Date.parse('2025-01-01T00:00:00Z');
  let base = '';
  const faults = createFaultInjector({ body: (status) => ({ error: { code: status, message: `Injected fault: HTTP ${status}` } }) });
  const nowIso = (): string => new Date(clock).toISOString();
  let ipCounter = 10;

  const fake: FakeOpenStack = {
    url: '',
    authUrl: '',
    faults,
    requests: [],
    servers: new Map(),
    images: new Map(),
    volumes: new Map(),
    networks: new Map(),
    ports: new Map(),
    routers: new Map(),
    floatingIps: new Map(),
    objects: new Map(),
    now: () => new Date(clock),
    setClock: (at) => void (clock = typeof at === 'string' ? Date.parse(at) : at.getTime()),
    advance: (ms) => void (clock += ms),
    expireTokens: () => tokens.clear(),
    addServer(s) {
      const server: FakeServer = {
        id: randomUUID(), userId: 'user-1', status: 'ACTIVE', taskState: null, updated: nowIso(), created: nowIso(),
        metadata: {}, actions: [], addresses: {}, busyFor: 0, ...s,
      };
      fake.servers.set(server.id, server);
      return server;
    },
    addImage(i) {
      const image: FakeImage = {
        id: randomUUID(), status: 'active', visibility: 'private', protected: false, diskFormat: 'qcow2', containerFormat: 'bare',
        properties: {}, created: nowIso(), updated: nowIso(), ...i,
      };
      fake.images.set(image.id, image);
      return image;
    },
    addVolume(v) {
      const volume: FakeVolume = { id: randomUUID(), name: '', status: 'available', attachedTo: [], metadata: {}, ...v };
      if (volume.attachedTo.length > 0 && !v.status) volume.status = 'in-use';
      fake.volumes.set(volume.id, volume);
      return volume;
    },
    addNetwork(n, opts = {}) {
      const network: FakeNetwork = { id: randomUUID(), name: '', shared: false, ...n };
      fake.networks.set(network.id, network);
      if (opts.dhcpPort !== false) fake.addPort({ projectId: network.projectId, networkId: network.id, deviceOwner: 'network:dhcp', deviceId: `dhcp-${network.id}` });
      return network;
    },
    addPort(p) {
      const port: FakePort = { id: randomUUID(), name: '', deviceOwner: '', deviceId: '', ...p };
      fake.ports.set(port.id, port);
      return port;
    },
    addRouter(r) {
      const router: FakeRouter = { id: randomUUID(), name: '', ...r };
      fake.routers.set(router.id, router);
      return router;
    },
    addRouterInterface(routerId, networkId) {
      const router = fake.routers.get(routerId);
      if (!router) throw new Error(`no router ${routerId}`);
      return fake.addPort({ projectId: router.projectId, networkId, deviceOwner: 'network:router_interface', deviceId: routerId });
    },
    addFloatingIp(f) {
      const fip: FakeFloatingIp = { id: randomUUID(), address: `203.0.113.${ipCounter++}`, portId: null, ...f };
      fake.floatingIps.set(fip.id, fip);
      return fip;
    },
    addObject(projectId, container, name, data = 'x') {
      const account = fake.objects.get(projectId) ?? new Map<string, Map<string, Buffer>>();
      fake.objects.set(projectId, account);
      const objects = account.get(container) ?? new Map<string, Buffer>();
      account.set(container, objects);
      if (name !== undefined) objects.set(name, Buffer.from(data));
    },
    close: () =>
      new Promise<void>((resolve) => {
        faults.reset();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  const issueToken = (projectId: string): { token: string; expires: string } => {
    const token = `tok-${randomUUID()}`;
    const expiresAt = Date.now() + (options.tokenTtlMs ?? 3_600_000);
    tokens.set(token, { projectId, expiresAt });
    return { token, expires: new Date(expiresAt).toISOString() };
  };

  const catalog = (projectId: string): unknown[] => {
    const ep = (type: string, path: string): unknown => ({
      type,
      name: type,
      endpoints: [{ interface: 'public', region, region_id: region, url: `${base}${path}`, id: `${type}-public` }],
    });
    return [
      ep('identity', '/identity/v3'),
      ep('compute', '/compute/v2.1'),
      ep('image', '/image'),
      ep('volumev3', `/volume/v3/${projectId}`),
      ep('network', '/network'),
      ep('object-store', `/object/v1/AUTH_${projectId}`),
    ];
  };

  async function keystone(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = json(await readBody(req)) as { auth?: { identity?: Record<string, unknown>; scope?: unknown } };
    const identity = body.auth?.identity ?? {};
    const methods = (identity.methods as string[] | undefined) ?? [];
    let projectId: string | undefined;
    if (methods.includes('password')) {
      const user = (identity.password as { user?: { name?: string; password?: string } } | undefined)?.user;
      const found = users.find((u) => u.username === user?.name && u.password === user?.password);
      projectId = found?.projectId;
    } else if (methods.includes('application_credential')) {
      if (body.auth?.scope) throw new HttpError(401, { error: { code: 401, message: 'Application credentials cannot request a scope.', title: 'Unauthorized' } });
      const cred = identity.application_credential as { id?: string; secret?: string } | undefined;
      projectId = creds.find((c) => c.id === cred?.id && c.secret === cred?.secret)?.projectId;
    }
    if (!projectId) throw new HttpError(401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    const { token, expires } = issueToken(projectId);
    res.writeHead(201, { 'content-type': 'application/json', 'x-subject-token': token });
    res.end(JSON.stringify({ token: { expires_at: expires, issued_at: new Date().toISOString(), methods, project: { id: projectId, name: projectId }, catalog: catalog(projectId) } }));
  }

  // ---- Nova ----
  const serverBody = (s: FakeServer): unknown => ({
    id: s.id, name: s.name, status: s.status, tenant_id: s.projectId, user_id: s.userId, updated: noMs(s.updated), created: noMs(s.created),
    image: s.imageId ? { id: s.imageId, links: [] } : '', metadata: s.metadata,
    addresses: Object.fromEntries(Object.entries(s.addresses).map(([net, list]) => [net, list.map((a) => ({ ...a, 'OS-EXT-IPS:type': 'fixed' }))])),
    'OS-EXT-STS:task_state': s.taskState, 'OS-EXT-STS:vm_state': s.status.toLowerCase(),
  });
  const novaNotFound = (id: string): HttpError => new HttpError(404, { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  const getServer = (id: string): FakeServer => {
    const s = fake.servers.get(id);
    if (!s) throw novaNotFound(id);
    return s;
  };

  async function nova(method: string, parts: string[], url: URL, req: IncomingMessage, tokenProject: string): Promise<[number, unknown]> {
    if (parts[0] !== 'servers') throw new HttpError(404, { itemNotFound: { code: 404, message: 'Unknown resource' } });
    if (parts.length === 2 && parts[1] === 'detail' && method === 'GET') {
      const allTenants = url.searchParams.get('all_tenants') === '1' || url.searchParams.get('all_tenants') === 'true';
      const project = url.searchParams.get('project_id') ?? (allTenants ? undefined : tokenProject);
      const all = [...fake.servers.values()].filter((s) => !project || s.projectId === project);
      const { rows, full, limit } = page(all, url.searchParams, 1000, 1000);
      return [200, { servers: rows.map(serverBody), servers_links: nextLinks(url, rows, full, limit) }];
    }
    const server = getServer(parts[1]);
    if (parts.length === 2 && method === 'GET') {
      if (server.busyFor > 0 && --server.busyFor === 0) server.taskState = null;
      return [200, { server: serverBody(server) }];
    }
    if (parts.length === 2 && method === 'DELETE') {
      deleteServerCascade(server);
      return [204, undefined];
    }
    if (parts[2] === 'os-instance-actions' && method === 'GET') {
      const actions = [...server.actions].sort((a, b) => b.startTime.localeCompare(a.startTime));
      return [200, { instanceActions: actions.map((a, i) => ({ action: a.action, instance_uuid: server.id, request_id: `req-${i}`, user_id: server.userId, project_id: server.projectId, start_time: novaTime(a.startTime), message: null })) }];
    }
    if (parts[2] === 'action' && method === 'POST') {
      const body = json(await readBody(req));
      if (!('shelve' in body)) throw new HttpError(400, { badRequest: { code: 400, message: 'Unsupported action' } });
      if (server.taskState) throw new HttpError(409, { conflictingRequest: { code: 409, message: `Cannot 'shelve' instance ${server.id} while it is in task_state ${server.taskState}` } });
      if (!['ACTIVE', 'SHUTOFF', 'SUSPENDED', 'PAUSED'].includes(server.status)) {
        throw new HttpError(409, { conflictingRequest: { code: 409, message: `Cannot 'shelve' instance ${server.id} while it is in vm_state ${server.status.toLowerCase()}` } });
      }
      server.status = 'SHELVED_OFFLOADED';
      server.updated = nowIso();
      server.actions.push({ action: 'shelve', startTime: nowIso() });
      return [202, undefined];
    }
    if (parts[2] === 'metadata') {
      if (method === 'GET') return [200, { metadata: server.metadata }];
      const body = json(await readBody(req)) as { metadata?: Record<string, unknown> };
      const metadata = body.metadata ?? {};
      for (const [k, v] of Object.entries(metadata)) {
        if (typeof v !== 'string' || v.length > 255 || k.length > 255) throw new HttpError(400, { badRequest: { code: 400, message: `Invalid input for field/attribute metadata. Value: ${k}` } });
      }
      server.metadata = method === 'PUT' ? (metadata as Record<string, string>) : { ...server.metadata, ...(metadata as Record<string, string>) };
      server.updated = nowIso();
      return [200, { metadata: server.metadata }];
    }
    throw new HttpError(404, { itemNotFound: { code: 404, message: 'Unknown resource' } });
  }

  function deleteServerCascade(server: FakeServer): void {
    fake.servers.delete(server.id);
    for (const port of [...fake.ports.values()]) {
      if (port.deviceId === server.id) deletePortCascade(port);
    }
    for (const volume of fake.volumes.values()) {
      if (volume.attachedTo.includes(server.id)) {
        volume.attachedTo = volume.attachedTo.filter((id) => id !== server.id);
        if (volume.attachedTo.length === 0 && volume.status === 'in-use') volume.status = 'available';
      }
    }
  }

  // ---- Glance ----
  const READ_ONLY = new Set(['id', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size', 'owner', 'created_at', 'updated_at', 'self', 'file', 'schema', 'direct_url', 'locations']);
  const imageBody = (i: FakeImage): unknown => ({
    ...i.properties, id: i.id, name: i.name, status: i.status, visibility: i.visibility, owner: i.owner, protected: i.protected,
    disk_format: i.diskFormat, container_format: i.containerFormat, checksum: i.checksum ?? null, os_hash_algo: i.sha512 ? 'sha512' : null,
    os_hash_value: i.sha512 ?? null, size: i.size ?? null, created_at: noMs(i.created), updated_at: noMs(i.updated), tags: [],
    self: `/v2/images/${i.id}`, file: `/v2/images/${i.id}/file`, schema: '/v2/schemas/image',
  });
  const glanceError = (status: number, message: string): HttpError => new HttpError(status, { message, code: status, title: status === 404 ? 'Not Found' : 'Error' });

  async function glance(method: string, parts: string[], url: URL, req: IncomingMessage, tokenProject: string): Promise<[number, unknown]> {
    if (parts[0] !== 'v2' || parts[1] !== 'images') throw glanceError(404, 'Not Found');
    if (parts.length === 2 && method === 'GET') {
      const q = url.searchParams;
      const visibility = q.get('visibility');
      const all = [...fake.images.values()].filter(
        (i) =>
          (visibility === 'all' || (visibility ? i.visibility === visibility : i.visibility !== 'community')) &&
          (!q.get('name') || i.name === q.get('name')) &&
          (!q.get('owner') || i.owner === q.get('owner')),
      );
      const { rows, full, limit } = page(all, q, 1000, 25);
      const next = nextLinks(new URL(`${url.pathname.replace(/^\/image/, '')}${url.search}`, 'http://x'), rows, full, limit);
      const nextHref = next[0] ? new URL(next[0].href).pathname + new URL(next[0].href).search : undefined;
      return [200, { images: rows.map(imageBody), first: '/v2/images', schema: '/v2/schemas/images', ...(nextHref ? { next: nextHref } : {}) }];
    }
    if (parts.length === 2 && method === 'POST') {
      const body = json(await readBody(req));
      const { name, disk_format, container_format, visibility, ...rest } = body as Record<string, unknown>;
      for (const [k, v] of Object.entries(rest)) {
        if (READ_ONLY.has(k)) throw glanceError(403, `Attribute '${k}' is read-only.`);
        if (typeof v !== 'string') throw glanceError(400, `Provided object does not match schema 'image': ${String(v)} is not of type 'string'`);
      }
      const image = fake.addImage({
        name: String(name ?? ''), owner: tokenProject, status: 'queued', visibility: String(visibility ?? 'shared'),
        diskFormat: String(disk_format ?? ''), containerFormat: String(container_format ?? ''), properties: rest as Record<string, string>,
      });
      return [201, imageBody(image)];
    }
    const image = fake.images.get(parts[2]);
    if (!image) throw glanceError(404, `No image found with ID ${parts[2]}`);
    if (parts.length === 3 && method === 'GET') return [200, imageBody(image)];
    if (parts.length === 3 && method === 'DELETE') {
      if (image.protected) throw glanceError(403, `Image ${image.id} is protected and cannot be deleted.`);
      fake.images.delete(image.id);
      return [204, undefined];
    }
    if (parts.length === 3 && method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/openstack-images-v2.1-json-patch') throw glanceError(415, 'Unsupported Content-Type');
      const ops = JSON.parse((await readBody(req)).toString('utf8')) as { op: string; path: string; value?: unknown }[];
      const next = structuredClone({ ...image, data: undefined });
      for (const op of ops) {
        const key = op.path.replace(/^\//, '');
        if (READ_ONLY.has(key)) throw glanceError(403, `Attribute '${key}' is read-only.`);
        if (key === 'name') next.name = String(op.value);
        else if (key === 'visibility') {
          if (!['public', 'private', 'shared', 'community'].includes(String(op.value))) throw glanceError(400, `Invalid visibility value: ${String(op.value)}`);
          next.visibility = String(op.value);
        } else if (key === 'protected') next.protected = op.value === true;
        else if (op.op === 'remove') {
          if (!(key in next.properties)) throw glanceError(409, `Property ${key} does not exist.`);
          delete next.properties[key];
        } else {
          if (typeof op.value !== 'string') throw glanceError(400, `Provided object does not match schema 'image': ${JSON.stringify(op.value)} is not of type 'string'`);
          if (op.op === 'replace' && !(key in next.properties)) throw glanceError(409, `Property ${key} does not exist.`);
          next.properties[key] = op.value;
        }
      }
      Object.assign(image, { ...next, data: image.data, updated: nowIso() });
      return [200, imageBody(image)];
    }
    if (parts[3] === 'actions' && method === 'POST' && (parts[4] === 'deactivate' || parts[4] === 'reactivate')) {
      // Glance's default policy: deactivate/reactivate are admin-only; only active/deactivated images move
      if (tokenProject !== ADMIN_PROJECT) throw glanceError(403, `You are not authorized to complete ${parts[4]} action.`);
      if (image.status !== 'active' && image.status !== 'deactivated') throw glanceError(403, `Not allowed to ${parts[4]} image in status '${image.status}'`);
      Object.assign(image, { status: parts[4] === 'deactivate' ? 'deactivated' : 'active', updated: nowIso() });
      return [204, undefined];
    }
    if (parts[3] === 'file' && method === 'PUT') {
      if (image.status !== 'queued') throw glanceError(409, `Image status transition from ${image.status} to saving is not allowed`);
      const data = await readBody(req);
      Object.assign(image, { data, size: data.length, checksum: createHash('md5').update(data).digest('hex'), sha512: createHash('sha512').update(data).digest('hex'), status: 'active', updated: nowIso() });
      return [204, undefined];
    }
    throw glanceError(404, 'Not Found');
  }

  // ---- Cinder ----
  const volumeBody = (v: FakeVolume): unknown => ({
    id: v.id, name: v.name, status: v.status, size: 1, metadata: v.metadata, 'os-vol-tenant-attr:tenant_id': v.projectId,
    attachments: v.attachedTo.map((serverId) => ({ server_id: serverId, volume_id: v.id, attachment_id: `att-${serverId}` })),
  });

  function cinder(method: string, parts: string[], url: URL): [number, unknown] {
    // parts: [projectId, 'volumes', ...]
    if (parts[1] !== 'volumes') throw new HttpError(404, { itemNotFound: { code: 404, message: 'Unknown resource' } });
    if (parts[2] === 'detail' && method === 'GET') {
      const allTenants = url.searchParams.get('all_tenants') === '1';
      const project = url.searchParams.get('project_id') ?? (allTenants ? undefined : parts[0]);
      const all = [...fake.volumes.values()].filter((v) => !project || v.projectId === project);
      const { rows, full, limit } = page(all, url.searchParams, 1000, 1000);
      return [200, { volumes: rows.map(volumeBody), volumes_links: nextLinks(url, rows, full, limit) }];
    }
    const volume = fake.volumes.get(parts[2]);
    if (!volume) throw new HttpError(404, { itemNotFound: { code: 404, message: `Volume ${parts[2]} could not be found.` } });
    if (method === 'GET') return [200, { volume: volumeBody(volume) }];
    if (method === 'DELETE') {
      const deletable = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];
      if (!deletable.includes(volume.status) || volume.attachedTo.length > 0) {
        throw new HttpError(400, { badRequest: { code: 400, message: 'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.' } });
      }
      fake.volumes.delete(volume.id);
      return [202, undefined];
    }
    throw new HttpError(405, { badRequest: { code: 405, message: 'Method not allowed' } });
  }

  // ---- Neutron ----
  const neutronError = (status: number, type: string, message: string): HttpError => new HttpError(status, { NeutronError: { type, message, detail: '' } });
  const ROUTER_PORT = new Set(['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface']);

  function deletePortCascade(port: FakePort): void {
    fake.ports.delete(port.id);
    for (const fip of fake.floatingIps.values()) if (fip.portId === port.id) fip.portId = null;
  }

  async function neutron(method: string, parts: string[], url: URL, req: IncomingMessage): Promise<[number, unknown]> {
    if (parts[0] !== 'v2.0') throw neutronError(404, 'HTTPNotFound', 'The resource could not be found.');
    const collection = parts[1];
    const q = url.searchParams;
    const lists: Record<string, () => { id: string }[]> = {
      floatingips: () => [...fake.floatingIps.values()],
      ports: () => [...fake.ports.values()],
      routers: () => [...fake.routers.values()],
      networks: () => [...fake.networks.values()],
    };
    const render: Record<string, (x: never) => unknown> = {
      floatingips: (f: FakeFloatingIp) => ({ id: f.id, floating_ip_address: f.address, project_id: f.projectId, tenant_id: f.projectId, port_id: f.portId, status: f.portId ? 'ACTIVE' : 'DOWN' }),
      ports: (p: FakePort) => ({ id: p.id, name: p.name, project_id: p.projectId, tenant_id: p.projectId, network_id: p.networkId, device_owner: p.deviceOwner, device_id: p.deviceId, fixed_ips: [] }),
      routers: (r: FakeRouter) => ({ id: r.id, name: r.name, project_id: r.projectId, tenant_id: r.projectId, status: 'ACTIVE', external_gateway_info: null }),
      networks: (n: FakeNetwork) => ({ id: n.id, name: n.name, project_id: n.projectId, tenant_id: n.projectId, shared: n.shared, status: 'ACTIVE', subnets: [] }),
    };
    if (!lists[collection]) throw neutronError(404, 'HTTPNotFound', 'The resource could not be found.');
    const noun = { floatingips: 'Floating IP', ports: 'Port', routers: 'Router', networks: 'Network' }[collection] ?? collection;
    if (parts.length === 2 && method === 'GET') {
      const filters: [string, (x: Record<string, unknown>) => unknown][] = [
        ['project_id', (x) => x.projectId],
        ['tenant_id', (x) => x.projectId],
        ['network_id', (x) => x.networkId],
        ['device_id', (x) => x.deviceId],
        ['device_owner', (x) => x.deviceOwner],
      ];
      const all = lists[collection]().filter((item) => filters.every(([key, get]) => !q.get(key) || get(item as never) === q.get(key)));
      const { rows, full, limit } = q.get('limit') ? page(all, q, 1000, 1000) : { rows: all, full: false, limit: 0 };
      return [200, { [collection]: rows.map((r) => render[collection](r as never)), [`${collection}_links`]: nextLinks(url, rows, full, limit) }];
    }
    const id = parts[2];
    const item = lists[collection]().find((x) => x.id === id);
    if (!item) throw neutronError(404, `${noun.replace(/ /g, '')}NotFound`, `${noun} ${id} could not be found.`);
    if (collection === 'routers' && parts[3] === 'remove_router_interface' && method === 'PUT') {
      const body = json(await readBody(req)) as { port_id?: string; subnet_id?: string };
      const port = [...fake.ports.values()].find((p) => p.deviceId === id && ROUTER_PORT.has(p.deviceOwner) && p.id === body.port_id);
      if (!port) throw neutronError(404, 'RouterInterfaceNotFound', `Router ${id} does not have an interface with id ${body.port_id ?? body.subnet_id}`);
      fake.ports.delete(port.id);
      return [200, { id, port_id: port.id, subnet_id: 'subnet', project_id: port.projectId }];
    }
    if (parts.length === 3 && method === 'GET') return [200, { [collection.replace(/s$/, '')]: render[collection](item as never) }];
    if (parts.length === 3 && method === 'DELETE') {
      if (collection === 'ports') {
        const port = item as FakePort;
        if (ROUTER_PORT.has(port.deviceOwner)) throw neutronError(409, 'L3PortInUse', `Port ${id} cannot be deleted directly via the port API: has device owner ${port.deviceOwner}.`);
        deletePortCascade(port);
      } else if (collection === 'routers') {
        if ([...fake.ports.values()].some((p) => p.deviceId === id && ROUTER_PORT.has(p.deviceOwner))) throw neutronError(409, 'RouterInUse', `Router ${id} still has ports`);
        fake.routers.delete(id);
      } else if (collection === 'networks') {
        const ports = [...fake.ports.values()].filter((p) => p.networkId === id);
        if (ports.some((p) => p.deviceOwner !== 'network:dhcp')) throw neutronError(409, 'NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`);
        for (const p of ports) fake.ports.delete(p.id);
        fake.networks.delete(id);
      } else {
        fake.floatingIps.delete(id);
      }
      return [204, undefined];
    }
    throw neutronError(405, 'HTTPMethodNotAllowed', 'Method not allowed');
  }

  // ---- Swift ----
  function swift(method: string, parts: string[], url: URL): [number, unknown, string?] {
    const project = parts[0].replace(/^AUTH_/, '');
    const account = fake.objects.get(project) ?? new Map<string, Map<string, Buffer>>();
    const q = url.searchParams;
    const limit = Math.min(Number(q.get('limit') ?? 10000) || 10000, 10000);
    const after = (names: string[]): string[] => names.sort().filter((n) => !q.get('marker') || n > (q.get('marker') ?? '')).slice(0, limit);
    if (parts.length === 1 && method === 'GET') {
      const names = after([...account.keys()]);
      if (names.length === 0) return [204, undefined];
      return [200, names.map((name) => {
        const objects = account.get(name) ?? new Map<string, Buffer>();
        return { name, count: objects.size, bytes: [...objects.values()].reduce((n, b) => n + b.length, 0), last_modified: nowIso() };
      })];
    }
    const container = decodeURIComponent(parts[1]);
    const objects = account.get(container);
    if (!objects) return [404, undefined, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>'];
    if (parts.length === 2 && method === 'GET') {
      return [200, after([...objects.keys()]).map((name) => ({ name, bytes: objects.get(name)?.length ?? 0, hash: 'x', content_type: 'application/octet-stream', last_modified: nowIso() }))];
    }
    if (parts.length === 2 && method === 'DELETE') {
      if (objects.size > 0) return [409, undefined, '<html><h1>Conflict</h1><p>There was a conflict when trying to complete your request.</p></html>'];
      account.delete(container);
      return [204, undefined];
    }
    const name = parts.slice(2).map(decodeURIComponent).join('/');
    if (method === 'DELETE') {
      if (!objects.delete(name)) return [404, undefined, '<html><h1>Not Found</h1><p>The resource could not be found.</p></html>'];
      return [204, undefined];
    }
    return [405, undefined, 'Method Not Allowed'];
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    fake.requests.push({ method, path: url.pathname });
    if (faults.handle(req, res)) return;
    const [service, ...rest] = url.pathname.split('/').filter(Boolean);
    if (service === 'identity' && url.pathname === '/identity/v3/auth/tokens' && method === 'POST') return keystone(req, res);
    const token = tokens.get(String(req.headers['x-auth-token'] ?? ''));
    if (!token || token.expiresAt < Date.now()) {
      req.resume();
      throw new HttpError(401, { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
    }
    let result: [number, unknown, string?];
    if (service === 'compute' && rest[0] === 'v2.1') result = await nova(method, rest.slice(1), url, req, token.projectId);
    else if (service === 'image') result = await glance(method, rest, url, req, token.projectId);
    else if (service === 'volume' && rest[0] === 'v3') result = cinder(method, rest.slice(1), url);
    else if (service === 'network') result = await neutron(method, rest, url, req);
    else if (service === 'object' && rest[0] === 'v1' && rest[1]) result = swift(method, rest.slice(1), url);
    else throw new HttpError(404, { error: { code: 404, message: `no such endpoint ${url.pathname}` } });
    const [status, body, text] = result;
    if (text !== undefined) {
      res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8' });
      res.end(text);
    } else if (body === undefined) {
      res.writeHead(status);
      res.end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    }
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.end();
      const e = err instanceof HttpError ? err : new HttpError(500, { error: { code: 500, message: String(err) } });
      req.resume();
      res.writeHead(e.status, { 'content-type': 'application/json', ...e.headers });
      res.end(JSON.stringify(e.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = base;
  fake.authUrl = `${base}/identity/v3`;
  return fake;
}
