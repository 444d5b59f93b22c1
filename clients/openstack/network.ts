// Neutron v2.0: floating IPs, ports, routers (interfaces removed before delete) and networks,
// listed page by page and deleted idempotently. Dependency refusals (NetworkInUse, RouterInUse,
// L3PortInUse) are 409 → OpenStackConflictError.
import { z } from 'zod';
import { type FloatingIpInfo, type NetworkInfo, type PortInfo, type RouterInfo, type SecurityGroupInfo } from '../../workflows/lifecycle-types.js';
import { OpenStackInputError, OpenStackNotVisibleError } from './errors.js';
import { idSegment, withQuery } from './http.js';
import { markerOfNext, type Page, type PageRequest, type ServiceClient } from './service.js';

/** Filter of a Neutron listing. */
export interface NetworkFilter extends PageRequest {
  projectId?: string;
}

/** The Neutron operations stratus uses. */
export interface Networking {
  listFloatingIps(request?: NetworkFilter): Promise<Page<FloatingIpInfo>>;
  listPorts(request?: NetworkFilter & { networkId?: string; deviceId?: string }): Promise<Page<PortInfo>>;
  listRouters(request?: NetworkFilter): Promise<Page<RouterInfo>>;
  listNetworks(request?: NetworkFilter): Promise<Page<NetworkInfo>>;
  /** Beware: listing with `projectId` makes Neutron create that project's `default` group again if it has none. */
  listSecurityGroups(request?: NetworkFilter): Promise<Page<SecurityGroupInfo>>;
  /** `false` when already gone; a group used by ports, or a member deleting `default`, is an OpenStackConflictError (409). */
  deleteSecurityGroup(id: string, signal?: AbortSignal): Promise<boolean>;
  /** Each returns `false` when the resource was already gone. */
  deleteFloatingIp(id: string, signal?: AbortSignal): Promise<boolean>;
  deletePort(id: string, signal?: AbortSignal): Promise<boolean>;
  /** Detaches a router interface by its port; `false` when it was not attached (or is gone). */
  removeRouterInterface(routerId: string, portId: string, signal?: AbortSignal): Promise<boolean>;
  deleteRouter(id: string, signal?: AbortSignal): Promise<boolean>;
  deleteNetwork(id: string, signal?: AbortSignal): Promise<boolean>;
}

/** Device owners of router-interface ports: removed through the router, never deleted directly. */
export const ROUTER_INTERFACE_OWNERS = new Set([
  'network:router_interface',
  'network:router_interface_distributed',
  'network:ha_router_replicated_interface',
]);

const links = z.array(z.object({ rel: z.string(), href: z.string() })).optional();
const fipSchema = z.object({ id: z.string(), floating_ip_address: z.string(), project_id: z.string(), port_id: z.string().nullish() });
const portSchema = z.object({
  id: z.string(),
  name: z.string().default(''),
  project_id: z.string(),
  network_id: z.string(),
  device_owner: z.string().nullish(),
  device_id: z.string().nullish(),
});
const routerSchema = z.object({ id: z.string(), name: z.string().default(''), project_id: z.string() });
const securityGroupSchema = z.object({ id: z.string(), name: z.string().default(''), project_id: z.string() });
const networkSchema = z.object({ id: z.string(), name: z.string().default(''), project_id: z.string(), shared: z.boolean().optional() });

export class NeutronNetworking implements Networking {
  constructor(private readonly client: ServiceClient) {}

  async listFloatingIps(request: NetworkFilter = {}): Promise<Page<FloatingIpInfo>> {
    const rows = await this.list('floatingips', fipSchema, request, {});
    return mapPage(rows, (f) => ({ id: f.id, address: f.floating_ip_address, projectId: f.project_id, ...(f.port_id ? { portId: f.port_id } : {}) }));
  }

  async listPorts(request: NetworkFilter & { networkId?: string; deviceId?: string } = {}): Promise<Page<PortInfo>> {
    const rows = await this.list('ports', portSchema, request, { network_id: request.networkId, device_id: request.deviceId });
    return mapPage(rows, (p) => ({
      id: p.id,
      name: p.name,
      projectId: p.project_id,
      networkId: p.network_id,
      ...(p.device_owner ? { deviceOwner: p.device_owner } : {}),
      ...(p.device_id ? { deviceId: p.device_id } : {}),
    }));
  }

  async listRouters(request: NetworkFilter = {}): Promise<Page<RouterInfo>> {
    const rows = await this.list('routers', routerSchema, request, {});
    return mapPage(rows, (r) => ({ id: r.id, name: r.name, projectId: r.project_id }));
  }

  async listNetworks(request: NetworkFilter = {}): Promise<Page<NetworkInfo>> {
    const rows = await this.list('networks', networkSchema, request, {});
    return mapPage(rows, (n) => ({ id: n.id, name: n.name, projectId: n.project_id, ...(n.shared !== undefined ? { shared: n.shared } : {}) }));
  }

  async listSecurityGroups(request: NetworkFilter = {}): Promise<Page<SecurityGroupInfo>> {
    const rows = await this.list('security-groups', securityGroupSchema, request, {});
    return mapPage(rows, (g) => ({ id: g.id, name: g.name, projectId: g.project_id }));
  }

  async deleteSecurityGroup(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/security-groups/${idSegment('securityGroupId', id)}`, { resource: 'security group', id }, { signal });
  }

  async deleteFloatingIp(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/floatingips/${idSegment('floatingIpId', id)}`, { resource: 'floating IP', id }, { signal });
  }

  async deletePort(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/ports/${idSegment('portId', id)}`, { resource: 'port', id }, { signal });
  }

  async removeRouterInterface(routerId: string, portId: string, signal?: AbortSignal): Promise<boolean> {
    if (!portId) throw new OpenStackInputError('portId', 'is empty');
    try {
      await this.client.call('PUT', `/routers/${idSegment('routerId', routerId)}/remove_router_interface`, {
        json: { port_id: idSegment('portId', portId) },
        subject: { resource: 'router', id: routerId },
        signal,
      });
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'OpenStackNotFoundError') return false;
      throw err;
    }
  }

  async deleteRouter(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/routers/${idSegment('routerId', id)}`, { resource: 'router', id }, { signal });
  }

  async deleteNetwork(id: string, signal?: AbortSignal): Promise<boolean> {
    return this.client.deleteIdempotent(`/networks/${idSegment('networkId', id)}`, { resource: 'network', id }, { signal });
  }

  private async list<T extends z.ZodType>(
    collection: string,
    item: T,
    request: NetworkFilter,
    extra: Record<string, string | undefined>,
  ): Promise<Page<z.infer<T>>> {
    // A member sees its own project only (and shared networks): say so rather than pretend.
    const access = await this.client.access(request.signal);
    const own = !this.client.seesAll(access);
    if (own && request.projectId && request.projectId !== access.projectId) {
      throw new OpenStackNotVisibleError(`${collection} of project`, request.projectId, this.client.whyNotVisible(access));
    }
    const path = withQuery(`/${collection}`, {
      project_id: request.projectId,
      ...extra,
      limit: request.limit,
      marker: request.marker ? idSegment('marker', request.marker) : undefined,
    });
    const key = collection.replace('-', '_');
    const schema = z.object({ [key]: z.array(item), [`${key}_links`]: links });
    const body = (await this.client.getJson(path, schema, { signal: request.signal })) as Record<string, unknown>;
    const items = body[key] as z.infer<T>[];
    const nextMarker = items.length > 0 ? markerOfNext(body[`${key}_links`] as { rel: string; href: string }[] | undefined) : undefined;
    const partial = own && !request.projectId && !extra.device_id ? { visibleProject: access.projectId, reason: this.client.whyNotVisible(access) } : undefined;
    return { items, ...(nextMarker ? { nextMarker } : {}), ...(partial ? { partial } : {}) };
  }
}

function mapPage<A, B>(page: Page<A>, map: (a: A) => B): Page<B> {
  return { items: page.items.map(map), ...(page.nextMarker ? { nextMarker: page.nextMarker } : {}), ...(page.partial ? { partial: page.partial } : {}) };
}
