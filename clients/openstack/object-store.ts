// Swift: a project's containers and objects, listed with limit/marker and deleted idempotently.
// Other projects' accounts are reached by swapping the `AUTH_<project>` segment of the catalog
// URL, which needs a token with Swift's reseller-admin role and the default `AUTH_` prefix.
import { z } from 'zod';
import { type ContainerInfo } from '../../workflows/lifecycle-types.js';
import { OpenStackError, OpenStackInputError, OpenStackNotVisibleError, OpenStackNotFoundError } from './errors.js';
import { idSegment, withQuery } from './http.js';
import { parseBody } from './schema.js';
import { type Page, type PageRequest, type ServiceClient } from './service.js';

/** An object in a container. */
export interface ObjectInfo {
  name: string;
  bytes: number;
}

/** The Swift operations stratus uses. */
export interface ObjectStore {
  listContainers(projectId: string, request?: PageRequest): Promise<Page<ContainerInfo>>;
  listObjects(projectId: string, container: string, request?: PageRequest): Promise<Page<ObjectInfo>>;
  /** `false` when already gone. */
  deleteObject(projectId: string, container: string, name: string, signal?: AbortSignal): Promise<boolean>;
  /** `false` when already gone; a non-empty container is an OpenStackConflictError (409). */
  deleteContainer(projectId: string, container: string, signal?: AbortSignal): Promise<boolean>;
}

const containersSchema = z.array(z.object({ name: z.string(), count: z.number(), bytes: z.number() }));
const objectsSchema = z.array(z.object({ name: z.string(), bytes: z.number() }));

const DEFAULT_LIMIT = 1000;

/** Points the catalog's account URL (`…/v1/AUTH_<token project>`) at another project's account. */
function account(projectId: string): (base: string) => string {
  const segment = `/AUTH_${idSegment('projectId', projectId)}`;
  return (base) => {
    if (!/\/AUTH_[^/]+$/.test(base)) throw new OpenStackError(`the object-store endpoint ${base} does not end in /AUTH_<project>`);
    return base.replace(/\/AUTH_[^/]+$/, segment);
  };
}

function containerSegment(name: string): string {
  if (!name || name.includes('/') || name.length > 256) throw new OpenStackInputError('container', `"${name.slice(0, 80)}" is not a valid container name`);
  return encodeURIComponent(name);
}

function objectPath(name: string): string {
  if (!name || name.length > 1024) throw new OpenStackInputError('object', 'object names must be 1-1024 characters');
  return name.split('/').map(encodeURIComponent).join('/');
}

export class SwiftObjectStore implements ObjectStore {
  constructor(private readonly client: ServiceClient) {}

  async listContainers(projectId: string, request: PageRequest = {}): Promise<Page<ContainerInfo>> {
    await this.reachable(projectId, request.signal);
    const limit = request.limit ?? DEFAULT_LIMIT;
    const rows = await this.getList(projectId, '', containersSchema, limit, request);
    const items = rows.map((c) => ({ projectId, name: c.name, objectCount: c.count, bytes: c.bytes }));
    return { items, ...(items.length === limit ? { nextMarker: items[items.length - 1].name } : {}) };
  }

  async listObjects(projectId: string, container: string, request: PageRequest = {}): Promise<Page<ObjectInfo>> {
    const limit = request.limit ?? DEFAULT_LIMIT;
    await this.reachable(projectId, request.signal);
    const items = await this.getList(projectId, `/${containerSegment(container)}`, objectsSchema, limit, request);
    return { items, ...(items.length === limit ? { nextMarker: items[items.length - 1].name } : {}) };
  }

  async deleteObject(projectId: string, container: string, name: string, signal?: AbortSignal): Promise<boolean> {
    const path = `/${containerSegment(container)}/${objectPath(name)}`;
    const label = `AUTH_${projectId}/${container}/${name}`;
    return this.client.deleteIdempotent(path, { resource: 'object', id: label }, { signal, rebase: account(projectId), label, confirmPath: path });
  }

  async deleteContainer(projectId: string, container: string, signal?: AbortSignal): Promise<boolean> {
    const path = `/${containerSegment(container)}`;
    const label = `AUTH_${projectId}/${container}`;
    return this.client.deleteIdempotent(path, { resource: 'container', id: label }, { signal, rebase: account(projectId), label, confirmPath: `${path}?format=json&limit=1` });
  }

  /** Another project's account needs the ResellerAdmin role (Swift's keystoneauth answers 403). */
  private async reachable(projectId: string, signal?: AbortSignal): Promise<void> {
    const access = await this.client.access(signal);
    if (projectId !== access.projectId && !access.allAccounts) {
      throw new OpenStackNotVisibleError('object-store account', `AUTH_${projectId}`, this.client.whyNotVisible(access));
    }
  }

  private async getList<T extends z.ZodType>(projectId: string, path: string, schema: T, limit: number, request: PageRequest): Promise<z.infer<T>> {
    const query = withQuery('', { format: 'json', limit, marker: request.marker });
    let res;
    try {
      // A missing account or container lists as empty: there is nothing left to delete.
      const label = `AUTH_${projectId}${path ? `/${decodeURIComponent(path.slice(1))}` : ''}`;
      res = await this.client.call('GET', `${path}${query}`, { rebase: account(projectId), signal: request.signal, label, subject: { resource: path ? 'container' : 'account', id: label } });
    } catch (err) {
      if (err instanceof OpenStackNotFoundError) return [] as z.infer<T>;
      throw err;
    }
    if (res.status === 204 || res.text.trim() === '') return [] as z.infer<T>;
    return parseBody(schema, res.text, 'object-store', `AUTH_${projectId}${path}`);
  }
}
