// Plain-JSON types of the resource lifecycle: the inventory the OpenStack client maps its
// responses into, allocations, the EOL table, notices already sent, the policies and the plan.
// No Temporal import and no Node built-in: shared by workflows, activities, clients and the CLI.

/** Nova server status (the `status` field of a server); other values are passed through. */
export type ServerStatus =
  | 'ACTIVE' | 'SHUTOFF' | 'SUSPENDED' | 'SHELVED' | 'SHELVED_OFFLOADED' | 'PAUSED'
  | 'BUILD' | 'ERROR' | 'REBOOT' | 'HARD_REBOOT' | 'RESIZE' | 'VERIFY_RESIZE' | 'MIGRATING'
  | 'RESCUE' | 'DELETED' | 'SOFT_DELETED' | 'UNKNOWN';

/**
 * One entry of Nova's instance action log (`GET /servers/{id}/os-instance-actions`).
 * `action` is Nova's name: `stop`, `start`, `suspend`, `resume`, `shelve`, `shelveOffload`,
 * `unshelve`, `pause`, `unpause`, `create`, `reboot`, … (unknown names are kept as they are).
 */
export interface InstanceAction {
  action: 'stop' | 'start' | 'suspend' | 'resume' | 'shelve' | 'shelveOffload' | 'unshelve' | 'pause' | 'unpause' | 'create' | (string & {});
  /** ISO time the action started (Nova's `start_time`, taken as UTC). */
  startTime: string;
}

/** A Nova server as the planner sees it. */
export interface ServerInfo {
  id: string;
  name: string;
  projectId: string;
  /** Email of the user who owns the server, when the client could resolve it. */
  ownerEmail?: string;
  status: ServerStatus | (string & {});
  /** ISO time of the server's last change (Nova's `updated`); the fallback for "in this state since". */
  updated: string;
  /** Glance image the server was booted from (absent for boot-from-volume). */
  imageId?: string;
  /** Server metadata (`stratus:exempt` lives here). */
  metadata: Record<string, string>;
  /**
   * The instance action log, any order. Absent when the client did not look it up
   * (servers that cannot be due); the planner then falls back to `updated`.
   */
  lastActions?: InstanceAction[];
}

/** Glance image visibility. */
export type ImageVisibility = 'public' | 'private' | 'shared' | 'community';

/** A Glance image. `properties` holds the free-form image properties (incl. `stratus:exempt`). */
export interface ImageInfo {
  id: string;
  name: string;
  ownerProjectId: string;
  visibility: ImageVisibility;
  /** Shown in the featured list (e.g. property `nectar_status=featured` or a catalogue flag). */
  featured?: boolean;
  /** Glance `os_distro` (e.g. `ubuntu`); falls back to `properties.os_distro`. */
  osDistro?: string;
  /** Glance `os_version` (e.g. `20.04`); falls back to `properties.os_version`. */
  osVersion?: string;
  /** Glance `os_hidden`: left out of plain listings. */
  hidden?: boolean;
  /**
   * Server this image is a Nova snapshot of (`image_type=snapshot` with `instance_uuid`), e.g. the
   * `<server>-shelved` image shelving makes: it inherits its base image's properties (featured
   * included) but goes with its server and is never a featured or EOL image of its own.
   */
  snapshotOf?: string;
  properties: Record<string, string>;
}

/** A Cinder volume. */
export interface VolumeInfo {
  id: string;
  name: string;
  projectId: string;
  status: string;
  /** Server ids the volume is attached to. */
  attachedTo?: string[];
  metadata?: Record<string, string>;
}

/** A Cinder volume snapshot: it blocks deleting its volume until it is deleted. */
export interface VolumeSnapshotInfo {
  id: string;
  name: string;
  projectId: string;
  volumeId: string;
  status: string;
}

/** A Neutron security group (each project has a `default` one). */
export interface SecurityGroupInfo {
  id: string;
  name: string;
  projectId: string;
}

/** A Neutron floating IP. */
export interface FloatingIpInfo {
  id: string;
  address: string;
  projectId: string;
  portId?: string;
}

/** A Neutron network. */
export interface NetworkInfo {
  id: string;
  name: string;
  projectId: string;
  shared?: boolean;
}

/** A Neutron router. */
export interface RouterInfo {
  id: string;
  name: string;
  projectId: string;
}

/** A Neutron port. */
export interface PortInfo {
  id: string;
  name: string;
  projectId: string;
  networkId: string;
  deviceOwner?: string;
  deviceId?: string;
}

/** A Swift container of a project (deleting it deletes its objects). */
export interface ContainerInfo {
  projectId: string;
  name: string;
  objectCount: number;
  bytes: number;
}

/** A Keystone project, for names and a contact address. */
export interface ProjectInfo {
  id: string;
  name: string;
  contactEmail?: string;
}

/** Everything the planner looks at. Arrays may be empty when a service was not listed. */
export interface Inventory {
  servers: ServerInfo[];
  images: ImageInfo[];
  volumes: VolumeInfo[];
  floatingIps: FloatingIpInfo[];
  networks: NetworkInfo[];
  routers: RouterInfo[];
  ports: PortInfo[];
  containers: ContainerInfo[];
  /** Absent in inventories listed before snapshots were (recorded histories). */
  volumeSnapshots?: VolumeSnapshotInfo[];
  securityGroups?: SecurityGroupInfo[];
  projects?: ProjectInfo[];
  /** What the credential could not list, and why (a member credential sees its own project only). */
  unseen?: UnseenScope[];
}

/** A part of the cloud the inventory could not see. */
export interface UnseenScope {
  /** The inventory kind (`servers`, `volumes`, …). */
  kind: string;
  /** `all but <project>` or one project id. */
  projects: string;
  /** Names the credential's roles and the missing role. */
  reason: string;
}

/** A project's allocation: its resources are reclaimed some time after `endDate`. */
export interface Allocation {
  projectId: string;
  /** `YYYY-MM-DD` (UTC midnight) or a full ISO time. */
  endDate: string;
  contactEmail?: string;
}

/** End of life of an operating system release, matched against Glance `os_distro`/`os_version`. */
export interface EolEntry {
  /** Compared case-insensitively with `os_distro` (e.g. `ubuntu`, `centos`). */
  distro: string;
  /** Equal to `os_version`, or a prefix of it at a dot (`8` matches `8.6`). */
  version: string;
  /** `YYYY-MM-DD`. */
  eolDate: string;
}

/** A notice that has been sent (remembered by the lifecycle workflow across sweeps). */
export interface NoticeRecord {
  resourceId: string;
  rule: RuleKind;
  /** `warn-7d`, `warn-1d`, … or `eol` (the final "migrate now" notice to EOL dependants). */
  stage: string;
  /** ISO time the message was accepted by the SMTP server. */
  sentAt: string;
}

/** The five lifecycle rules. */
export type RuleKind = 'shelve-stopped' | 'delete-shelved' | 'expire-allocation' | 'retire-eol-images' | 'warn-image-dependants';

/** One rule of the policy, with durations already parsed (milliseconds). */
export interface LifecycleRule {
  kind: RuleKind;
  /** Age threshold in ms (time in state, time since allocation end, or time after EOL). */
  after: number;
  /** Server states the rule applies to (shelve-stopped, delete-shelved). */
  states?: string[];
  /** Warning lead times in ms before the action is due, any order. */
  warn: number[];
}

/** A resource exempted in config. `id` may be a resource id or a project id. */
export interface ConfigExemption {
  id: string;
  reason: string;
  /** `YYYY-MM-DD`: the exemption holds until the end of this day (UTC); absent = forever. */
  until?: string;
}

/** The part of the `lifecycle:` config the planner needs. */
export interface LifecyclePolicies {
  rules: LifecycleRule[];
  /** Metadata/property key whose value is `forever` or `until:YYYY-MM-DD`. */
  exemptMetadataKey: string;
  exempt: ConfigExemption[];
}

export type ResourceType =
  | 'floating-ip' | 'server' | 'volume-snapshot' | 'volume' | 'image' | 'router' | 'port' | 'security-group' | 'network' | 'container';

/**
 * THE order in which a project's resources are deleted: each one before what refuses to go while
 * it exists (tested against the fake cloud's refusals, and the real cloud's in test:openstack).
 * A floating IP holds its port; a server its ports and volumes; a snapshot its volume (400); a
 * router interface its network (409); a port its network and its security groups (409).
 */
export const DELETION_ORDER: readonly ResourceType[] = [
  'floating-ip', 'server', 'volume-snapshot', 'volume', 'image', 'router', 'port', 'security-group', 'network', 'container',
];

export type PlanAction = 'notify' | 'shelve' | 'delete' | 'unfeature' | 'none';

/** What a warning announces. `image-eol`: the image you use runs an end-of-life OS; `image-deleted`: an image you use will be deleted. */
export type AnnouncedEffect = 'shelve' | 'delete' | 'unfeature' | 'image-eol' | 'image-deleted';

/** One thing the plan says about one resource under one rule. */
export interface PlanItem {
  resourceType: ResourceType;
  resourceId: string;
  resourceName: string;
  projectId: string;
  action: PlanAction;
  rule: RuleKind;
  /** In words: state and age, the rule, and any exemption or postponement. */
  reason: string;
  /** ISO time the item becomes (or became) due. */
  dueAt: string;
  /** `dueAt <= now`: the sweep acts on (or sends) this item now. */
  due: boolean;
  /** For `notify`: the stage of the notice (`warn-7d`, `eol`, …). */
  stage?: string;
  /** For `notify`: what the notice announces and the earliest time it happens. */
  announces?: { effect: AnnouncedEffect; at: string; image?: { id: string; name: string } };
  /** Email addresses to notify (sorted, unique; may be empty when nobody is known). */
  recipients: string[];
}

/** The planner's answer. */
export interface Plan {
  /** ISO time the plan was made for. */
  now: string;
  /** Sorted by project, deletion order, resource id, rule. */
  items: PlanItem[];
  /** Input the planner could not use (bad dates, unparseable exemptions, …); never acted on. */
  problems: string[];
}

/** Input of {@link plan} in workflows/lifecycle-planner.ts. */
export interface PlanInput {
  inventory: Inventory;
  allocations: Allocation[];
  eol: EolEntry[];
  policies: LifecyclePolicies;
  noticesSent: NoticeRecord[];
  /** ISO time. */
  now: string;
}
