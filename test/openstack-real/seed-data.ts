// Seed data on the real stack, idempotent by name: the shared fixtures (a flavor, a public base
// image, an external network) and, per project, everything a project can own: servers active,
// stopped and shelved; a volume attached to a server, with a snapshot; hidden, shared, community
// and protected images; a network, subnet, router with gateway and interface, port, floating IP,
// a non-default security group; a Swift container with objects.
// Run as `test/openstack-real/seed` (projects stratus-seed-live / stratus-seed-ended) or import it.
import { pathToFileURL } from 'node:url';
import { AdminApi, loadStack } from './admin.js';

export interface Fixtures {
  flavorId: string;
  baseImageId: string;
  publicNetworkId: string;
}

export interface SeededProject {
  projectId: string;
  servers: { active: string; stopped: string; shelved: string };
  volumeId: string;
  snapshotId: string;
  images: { hidden: string; shared: string; community: string; protected: string };
  networkId: string;
  subnetId: string;
  routerId: string;
  portId: string;
  floatingIpId: string;
  securityGroupId: string;
  container: string;
  objects: string[];
}

const FLAVOR = 'stratus.tiny';
const BASE_IMAGE = 'stratus-base';
const PUBLIC_NET = 'stratus-public';

/** The flavor, base image and external network every seeded project uses (made once). */
export async function ensureFixtures(api: AdminApi): Promise<Fixtures> {
  const flavors = await api.ok('compute', 'GET', '/flavors');
  const flavorId: string = flavors.flavors.find((f: { name: string }) => f.name === FLAVOR)?.id
    ?? (await api.ok('compute', 'POST', '/flavors', { body: { flavor: { name: FLAVOR, ram: 64, vcpus: 1, disk: 1 } } })).flavor.id;
  const images = await api.ok('image', 'GET', `/v2/images?name=${BASE_IMAGE}`);
  let base = images.images[0];
  if (!base) {
    base = await api.ok('image', 'POST', '/v2/images', { body: {
      name: BASE_IMAGE, disk_format: 'raw', container_format: 'bare', visibility: 'public',
      os_distro: 'ubuntu', os_version: '18.04', featured: 'true',
    } });
  }
  if (base.status === 'queued') {
    await api.ok('image', 'PUT', `/v2/images/${base.id}/file`, { raw: Buffer.alloc(65536, 7), headers: { 'content-type': 'application/octet-stream' } });
  }
  const nets = await api.ok('network', 'GET', `/v2.0/networks?name=${PUBLIC_NET}`);
  const publicNetworkId: string = nets.networks[0]?.id ?? (await api.ok('network', 'POST', '/v2.0/networks', { body: { network: {
    name: PUBLIC_NET, 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'public', shared: false,
  } } })).network.id;
  const subnets = await api.ok('network', 'GET', `/v2.0/subnets?network_id=${publicNetworkId}`);
  if (subnets.subnets.length === 0) {
    await api.ok('network', 'POST', '/v2.0/subnets', { body: { subnet: { name: `${PUBLIC_NET}-subnet`, network_id: publicNetworkId, ip_version: 4, cidr: '172.24.0.0/16' } } });
  }
  return { flavorId, baseImageId: base.id, publicNetworkId };
}

/** A server in `project` named `name` with status `status` (ACTIVE, SHUTOFF or SHELVED_OFFLOADED). */
export async function ensureServer(api: AdminApi, fx: Fixtures, project: string, name: string, status: 'ACTIVE' | 'SHUTOFF' | 'SHELVED_OFFLOADED', metadata: Record<string, string> = {}): Promise<string> {
  const found = (await api.ok('compute', 'GET', `/servers/detail?name=${encodeURIComponent(`^${name}$`)}`, { project })).servers as { id: string; status: string }[];
  // A server an earlier run left in ERROR (e.g. while the scheduler was down) is replaced.
  for (const broken of found.filter((x) => x.status === 'ERROR')) {
    await api.ok('compute', 'DELETE', `/servers/${broken.id}`, { project });
    await api.until(`broken server ${name} deleted`, async () => (await api.req('compute', 'GET', `/servers/${broken.id}`, { project })).status, (st) => st === 404);
  }
  const usable = found.find((x) => x.status !== 'ERROR');
  const id: string = usable?.id ?? (await api.ok('compute', 'POST', '/servers', { project, body: { server: {
    name, flavorRef: fx.flavorId, imageRef: fx.baseImageId, networks: 'none', metadata,
  } } })).server.id;
  const get = async () => (await api.ok('compute', 'GET', `/servers/${id}`, { project })).server as { status: string; 'OS-EXT-STS:task_state': string | null };
  const s = await api.until(`server ${name}`, get, (v) => v.status !== 'BUILD' && !v['OS-EXT-STS:task_state']);
  if (s.status === 'ERROR') throw new Error(`server ${name} went to ERROR`);
  if (status === 'SHUTOFF' && s.status === 'ACTIVE') await api.ok('compute', 'POST', `/servers/${id}/action`, { project, body: { 'os-stop': null } });
  if (status === 'SHELVED_OFFLOADED' && s.status !== 'SHELVED_OFFLOADED') await api.ok('compute', 'POST', `/servers/${id}/action`, { project, body: { shelve: null } });
  await api.until(`server ${name} ${status}`, get, (v) => v.status === status && !v['OS-EXT-STS:task_state']);
  return id;
}

async function ensureImage(api: AdminApi, project: string, name: string, props: Record<string, unknown>): Promise<string> {
  const found = await api.ok('image', 'GET', `/v2/images?name=${encodeURIComponent(name)}&owner=${project}&os_hidden=${props.os_hidden === true}`, { project });
  if (found.images[0]) return found.images[0].id;
  return (await api.ok('image', 'POST', '/v2/images', { project, body: { name, disk_format: 'raw', container_format: 'bare', ...props } })).id;
}

/** Everything a project can own, in project `projectId`, names prefixed with `name`. */
export async function seedProject(api: AdminApi, fx: Fixtures, projectId: string, name: string, cidrOctet = 10): Promise<SeededProject> {
  const project = projectId;
  const [active, stopped, shelved] = await Promise.all([
    ensureServer(api, fx, project, `${name}-active`, 'ACTIVE'),
    ensureServer(api, fx, project, `${name}-stopped`, 'SHUTOFF'),
    ensureServer(api, fx, project, `${name}-shelved`, 'SHELVED_OFFLOADED'),
  ]);

  // A volume attached to the active server, with a snapshot.
  const vols = await api.ok('volumev3', 'GET', `/volumes?name=${name}-data`, { project });
  const volumeId: string = vols.volumes[0]?.id ?? (await api.ok('volumev3', 'POST', '/volumes', { project, body: { volume: { name: `${name}-data`, size: 1 } } })).volume.id;
  const vol = () => api.ok('volumev3', 'GET', `/volumes/${volumeId}`, { project }).then((b) => b.volume.status as string);
  const vs = await api.until(`volume ${name}-data`, vol, (s) => s === 'available' || s === 'in-use');
  if (vs === 'available') {
    await api.ok('compute', 'POST', `/servers/${active}/os-volume_attachments`, { project, body: { volumeAttachment: { volumeId } } });
    await api.until(`volume ${name}-data attached`, vol, (s) => s === 'in-use');
  }
  const snaps = await api.ok('volumev3', 'GET', `/snapshots?name=${name}-snap`, { project });
  const snapshotId: string = snaps.snapshots[0]?.id ?? (await api.ok('volumev3', 'POST', '/snapshots', { project, body: { snapshot: { name: `${name}-snap`, volume_id: volumeId, force: true } } })).snapshot.id;
  await api.until(`snapshot ${name}-snap`, () => api.ok('volumev3', 'GET', `/snapshots/${snapshotId}`, { project }).then((b) => b.snapshot.status as string), (s) => s === 'available');

  const images = {
    hidden: await ensureImage(api, project, `${name}-hidden`, { os_hidden: true, visibility: 'private' }),
    shared: await ensureImage(api, project, `${name}-shared`, { visibility: 'shared' }),
    community: await ensureImage(api, project, `${name}-community`, { visibility: 'community' }),
    protected: await ensureImage(api, project, `${name}-protected`, { protected: true, visibility: 'private' }),
  };

  // Network, subnet, router with gateway and interface, a port with a floating IP, a security group.
  const list = async (kind: string, query: string) => (await api.ok('network', 'GET', `/v2.0/${kind}?project_id=${project}&${query}`, { project }))[kind.replace('-', '_')] as { id: string }[];
  const make = async (kind: string, body: Record<string, unknown>) => (await api.ok('network', 'POST', `/v2.0/${kind}s`, { project, body: { [kind]: body } }))[kind].id as string;
  const networkId = (await list('networks', `name=${name}-net`))[0]?.id ?? await make('network', { name: `${name}-net` });
  const subnetId = (await list('subnets', `name=${name}-subnet`))[0]?.id
    ?? await make('subnet', { name: `${name}-subnet`, network_id: networkId, ip_version: 4, cidr: `10.${cidrOctet}.0.0/24` });
  let routerId = (await list('routers', `name=${name}-router`))[0]?.id;
  if (!routerId) {
    routerId = await make('router', { name: `${name}-router`, external_gateway_info: { network_id: fx.publicNetworkId } });
    await api.ok('network', 'PUT', `/v2.0/routers/${routerId}/add_router_interface`, { project, body: { subnet_id: subnetId } });
  }
  const portId = (await list('ports', `name=${name}-port`))[0]?.id ?? await make('port', { name: `${name}-port`, network_id: networkId });
  const floatingIpId = (await list('floatingips', `port_id=${portId}`))[0]?.id
    ?? await make('floatingip', { floating_network_id: fx.publicNetworkId, port_id: portId, description: `${name}-fip` });
  let securityGroupId = (await list('security-groups', `name=${name}-sg`))[0]?.id;
  if (!securityGroupId) {
    securityGroupId = (await api.ok('network', 'POST', '/v2.0/security-groups', { project, body: { security_group: { name: `${name}-sg` } } })).security_group.id as string;
    await api.ok('network', 'POST', '/v2.0/security-group-rules', { project, body: { security_group_rule: {
      security_group_id: securityGroupId, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, ethertype: 'IPv4',
    } } });
  }

  // A Swift container with objects.
  const container = `${name}-files`;
  const objects = ['results.csv', 'runs/run-1.log'];
  await api.ok('object-store', 'PUT', `/${container}`, { project });
  for (const o of objects) await api.ok('object-store', 'PUT', `/${container}/${o}`, { project, raw: `data of ${o}\n`, headers: { 'content-type': 'text/plain' } });
  // The account listing's counts come from Swift's updaters (every 2 s here, minutes on a real
  // cloud): wait until it shows the objects, so what the tests list is what was seeded. The
  // container's own count is read alongside, so a timeout says which of the two updates is behind.
  await api.until(`Swift account listing of ${container} (account count, container count)`, async () => {
    const listed = ((await api.ok('object-store', 'GET', '/?format=json', { project })) as { name: string; count: number }[]).find((c) => c.name === container);
    const own = (await api.req('object-store', 'HEAD', `/${container}`, { project })).headers.get('x-container-object-count');
    return [listed?.count ?? null, own === null ? null : Number(own)];
  }, ([n]) => n === objects.length, 180_000);

  return {
    projectId, servers: { active, stopped, shelved }, volumeId, snapshotId, images, networkId, subnetId, routerId, portId, floatingIpId,
    securityGroupId, container, objects,
  };
}

/** Everything `projectId` still owns, as admin (servers, volumes, snapshots, images incl. hidden, network resources, containers). */
export async function ownedBy(api: AdminApi, projectId: string): Promise<Record<string, string[]>> {
  const project = projectId;
  const names = (xs: { id: string; name?: string }[]) => xs.map((x) => `${x.name ?? ''} ${x.id}`.trim());
  const net = async (kind: string) => names((await api.ok('network', 'GET', `/v2.0/${kind}?project_id=${projectId}`))[kind]);
  const images = [
    // Glance lists community images only when asked (visibility=community or all), hidden ones likewise.
    ...(await api.ok('image', 'GET', `/v2/images?owner=${projectId}&visibility=all`)).images,
    ...(await api.ok('image', 'GET', `/v2/images?owner=${projectId}&visibility=all&os_hidden=true`)).images,
  ];
  const containers = await api.req('object-store', 'GET', '?format=json', { project });
  return {
    servers: names((await api.ok('compute', 'GET', `/servers?all_tenants=1&project_id=${projectId}`)).servers),
    volumes: names((await api.ok('volumev3', 'GET', `/volumes?all_tenants=1&project_id=${projectId}`)).volumes),
    snapshots: names((await api.ok('volumev3', 'GET', `/snapshots?all_tenants=1&project_id=${projectId}`)).snapshots),
    images: names(images),
    networks: await net('networks'),
    subnets: await net('subnets'),
    routers: await net('routers'),
    ports: await net('ports'),
    floatingips: await net('floatingips'),
    securityGroups: (await api.ok('network', 'GET', `/v2.0/security-groups?project_id=${projectId}`)).security_groups
      .filter((g: { name: string }) => g.name !== 'default').map((g: { id: string; name: string }) => `${g.name} ${g.id}`),
    containers: containers.status === 200 ? (containers.body as { name: string }[]).map((c) => c.name) : [],
  };
}

async function main(): Promise<void> {
  const api = new AdminApi(loadStack());
  const fx = await ensureFixtures(api);
  for (const [i, name] of ['stratus-seed-live', 'stratus-seed-ended'].entries()) {
    const projectId = await api.project(name);
    const seeded = await seedProject(api, fx, projectId, name, 100 + i);
    console.log(JSON.stringify({ project: name, ...seeded }));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
