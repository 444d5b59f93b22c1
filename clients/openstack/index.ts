// The `Cloud` port: the OpenStack services stratus talks to, behind one object built from the
// Keystone options. Each service lives in its own file; this one wires them to one session.
import { KeystoneSession, type CredentialAccess, type KeystoneOptions } from './auth.js';
import { NovaCompute, type Compute } from './compute.js';
import { GlanceImages, defaultFeaturedFlag, type FeaturedFlag, type ImageService } from './image.js';
import { NeutronNetworking, type Networking } from './network.js';
import { SwiftObjectStore, type ObjectStore } from './object-store.js';
import { ServiceClient } from './service.js';
import { CinderVolumes, type BlockStorage } from './volume.js';

export * from './errors.js';
export type { KeystoneCredentials, KeystoneOptions, PasswordCredentials, ApplicationCredentials, CredentialAccess } from './auth.js';
export { KeystoneSession, UNSCOPED_TOKEN_MESSAGE, missingRole } from './auth.js';
export type { Compute, ServerAddress, ServerDetail } from './compute.js';
export type { ImageService, ImageDetail, ImageChange, FeaturedFlag, NewImage } from './image.js';
export type { BlockStorage } from './volume.js';
export type { Networking, NetworkFilter } from './network.js';
export { ROUTER_INTERFACE_OWNERS } from './network.js';
export type { ObjectStore, ObjectInfo } from './object-store.js';
export type { Page, PageRequest, PartialListing } from './service.js';
export type { RetryPolicy } from './http.js';

/** Everything stratus does on an OpenStack cloud, one property per service. */
export interface Cloud {
  compute: Compute;
  image: ImageService;
  volume: BlockStorage;
  network: Networking;
  objectStore: ObjectStore;
  /** What the credential may see: its project, roles, and whether it reaches every project. */
  access(signal?: AbortSignal): Promise<CredentialAccess>;
}

/** Options of {@link createCloud}. */
export interface CloudOptions extends KeystoneOptions {
  /** The image property that marks an image as featured (default `featured=true`). */
  featuredFlag?: FeaturedFlag;
  /** First wait while a server is busy with another task before shelving (default 1 s). */
  busyDelayMs?: number;
}

/** Builds the `Cloud` adapter over `fetch`; nothing is sent until the first call. */
export function createCloud(options: CloudOptions): Cloud {
  const session = new KeystoneSession(options);
  return {
    compute: new NovaCompute(new ServiceClient(session, 'compute'), options.busyDelayMs),
    image: new GlanceImages(new ServiceClient(session, 'image'), options.featuredFlag ?? defaultFeaturedFlag),
    volume: new CinderVolumes(new ServiceClient(session, 'volumev3')),
    network: new NeutronNetworking(new ServiceClient(session, 'network', '/v2.0')),
    objectStore: new SwiftObjectStore(new ServiceClient(session, 'object-store', '', 'ResellerAdmin')),
    access: (signal) => session.access(signal),
  };
}
