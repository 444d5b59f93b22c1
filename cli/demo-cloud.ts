// The first run's cloud and mailbox, all in memory on 127.0.0.1: a SIMULATED OpenStack (the
// stateful fake of the tests: Keystone, Nova, Glance, Cinder, Neutron, Swift) seeded with 40
// servers in 5 projects at various states and ages, one ended allocation and one end-of-life
// image; and a local SMTP listener standing in for the users' inboxes. Nothing leaves the machine.
import { randomBytes } from 'node:crypto';
import { type FakeOpenStack, startFakeOpenStack } from '../test/fakes/openstack.js';
import { startSmtpListener } from '../test/support/smtp-listener.js';
import { type Mailbox, type MailboxMessage } from '../dashboard/mailbox-page.js';
import { type NoticeRecord } from '../workflows/lifecycle-types.js';

const DAY = 86_400_000;
/** The application credential of the demo cloud; its secret is in this env var for the workers. */
export const DEMO_CLOUD_SECRET_ENV = 'STRATUS_DEMO_CLOUD_SECRET';
export const DEMO_CLOUD_CREDENTIAL = 'demo-credential';
/** The projects: the last one's allocation ended months ago. */
export const DEMO_PROJECTS = [
  { id: 'p-astro', name: 'astronomy', contact: 'astro-lead@example.org', endsInDays: 400 },
  { id: 'p-bio', name: 'bioinformatics', contact: 'bio-lead@example.org', endsInDays: 250 },
  { id: 'p-chem', name: 'chemistry', contact: 'chem-lead@example.org', endsInDays: 120 },
  { id: 'p-geo', name: 'geosciences', contact: 'geo-lead@example.org', endsInDays: 300 },
  { id: 'p-old', name: 'old-survey', contact: 'survey-lead@example.org', endsInDays: -160 },
] as const;
/** End of life of the demo's old image (ubuntu 18.04), days from now. */
export const DEMO_EOL_IN_DAYS = 20;

/** The running demo cloud and mailbox. */
export interface DemoCloud {
  authUrl: string;
  secret: string;
  smtp: { host: string; port: number };
  mailbox: Mailbox;
  /** `project_id,end_date,contact_email` rows of the demo's allocations file. */
  allocationsCsv: string;
  /** `YYYY-MM-DD` end of life of ubuntu 18.04. */
  eolDate: string;
  servers: number;
  /** The warnings "sent" before the demo began, so servers long stopped are due now (stratus never acts unwarned). */
  earlierNotices: NoticeRecord[];
  close(): Promise<void>;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** Stable ids, so a restarted demo sees the same servers the lifecycle remembers. */
const uuid = (kind: number, n: number): string => `00000000-0000-4000-8${String(kind).padStart(3, '0')}-${String(n).padStart(12, '0')}`;

/** Seeds `fake` as of `now`: what each server is and since when, and the warnings their owners already had. */
export function seedDemoCloud(fake: FakeOpenStack, now: number): { servers: number; notices: NoticeRecord[] } {
  const notices: NoticeRecord[] = [];
  const ago = (days: number) => new Date(now - days * DAY).toISOString();
  const old = fake.addImage({
    id: uuid(1, 1), name: 'ubuntu-18.04', owner: 'admin-project', visibility: 'public',
    properties: { os_distro: 'ubuntu', os_version: '18.04', featured: 'true' }, created: ago(2000),
  });
  const current = fake.addImage({
    id: uuid(1, 2), name: 'ubuntu-24.04', owner: 'admin-project', visibility: 'public',
    properties: { os_distro: 'ubuntu', os_version: '24.04', featured: 'true' }, created: ago(200),
  });
  let n = 0;
  const server = (projectId: string, name: string, status: string, actions: Array<[string, number]>, imageId = current.id) => {
    n++;
    const created = Math.max(...actions.map(([, d]) => d), 30) + 10;
    fake.addServer({
      id: uuid(2, n), name, projectId, status, imageId, created: ago(created),
      updated: ago(Math.min(...actions.map(([, d]) => d), created)),
      actions: [{ action: 'create', startTime: ago(created) }, ...actions.map(([action, d]) => ({ action, startTime: ago(d) }))],
    });
  };
  const [astro, bio, chem, geo, ended] = DEMO_PROJECTS.map((p) => p.id) as [string, string, string, string, string];
  // 22 running servers across the live projects, three on the end-of-life image
  const running: Array<[string, string]> = [
    [astro, 'telescope-queue'], [astro, 'pipeline-1'], [astro, 'pipeline-2'], [astro, 'jupyter'], [astro, 'db'],
    [bio, 'galaxy'], [bio, 'blast-1'], [bio, 'blast-2'], [bio, 'rstudio'], [bio, 'seq-store'],
    [chem, 'gaussian-1'], [chem, 'gaussian-2'], [chem, 'wiki'], [chem, 'lims'],
    [geo, 'gis'], [geo, 'model-run-1'], [geo, 'model-run-2'], [geo, 'thredds'], [geo, 'ingest'], [geo, 'portal'],
    [bio, 'legacy-pipeline'], [chem, 'old-cluster-head'],
  ];
  running.forEach(([p, name], i) => server(p, name, 'ACTIVE', [['start', 40 + i * 11]], i >= 19 || name.startsWith('legacy') ? old.id : current.id));
  // 6 stopped long enough to be shelved now, warned 7 and 1 days ahead already (7 actions with the
  // deletion below: over the demo's cap of 3, so the sweep waits for approval)
  ([[astro, 'old-reduction', 35], [bio, 'test-vm', 21], [bio, 'course-2024', 60], [chem, 'scratch', 18], [geo, 'tmp-convert', 27], [geo, 'summer-intern', 90]] as const)
    .forEach(([p, name, d]) => {
      server(p, name, 'SHUTOFF', [['stop', d]]);
      notices.push({ resourceId: uuid(2, n), rule: 'shelve-stopped', stage: 'warn-7d', sentAt: ago(d - 7) }, { resourceId: uuid(2, n), rule: 'shelve-stopped', stage: 'warn-1d', sentAt: ago(d - 13) });
    });
  // 3 stopped a week or so ago: warned now, shelved in a few days
  ([[astro, 'analysis-vm', 8], [chem, 'build-box', 9], [geo, 'backup-test', 10]] as const)
    .forEach(([p, name, d]) => server(p, name, 'SHUTOFF', [['stop', d]]));
  // 5 shelved for months: two within their 30-day deletion warning, one past it
  ([[astro, 'archive-2023', 120], [bio, 'old-galaxy', 155], [chem, 'thesis-2022', 160], [geo, 'field-season', 100], [bio, 'forgotten', 200]] as const)
    .forEach(([p, name, d]) => {
      server(p, name, 'SHELVED_OFFLOADED', [['stop', d + 20], ['shelve', d]]);
      if (d > 180) notices.push({ resourceId: uuid(2, n), rule: 'delete-shelved', stage: 'warn-30d', sentAt: ago(d - 150) }, { resourceId: uuid(2, n), rule: 'delete-shelved', stage: 'warn-7d', sentAt: ago(d - 173) });
    });
  // the ended allocation: 4 servers, a volume, a network, a container
  ['survey-db', 'survey-web', 'survey-worker-1', 'survey-worker-2'].forEach((name) => server(ended, name, 'ACTIVE', [['start', 300]]));
  fake.addVolume({ id: uuid(3, 1), name: 'survey-data', projectId: ended });
  fake.addNetwork({ id: uuid(4, 1), name: 'survey-net', projectId: ended });
  fake.addObject(ended, 'survey-results', 'summary.csv', 'field,value\n');
  return { servers: n, notices };
}

/** Starts the simulated cloud (clock following real time) and the mailbox. */
export async function startDemoCloud(now = Date.now()): Promise<DemoCloud> {
  const secret = randomBytes(18).toString('base64url');
  const fake = await startFakeOpenStack({ appCredentials: [{ id: DEMO_CLOUD_CREDENTIAL, secret, projectId: 'admin-project' }], region: 'DemoRegion' });
  fake.setClock(new Date(now));
  const { servers, notices: earlierNotices } = seedDemoCloud(fake, now);
  const clock = setInterval(() => fake.setClock(new Date()), 1000);
  clock.unref();
  let smtp: Awaited<ReturnType<typeof startSmtpListener>>;
  try {
    smtp = await startSmtpListener();
  } catch (error) {
    clearInterval(clock);
    await fake.close();
    throw error;
  }
  const received = new WeakMap<object, string>();
  const mailbox: Mailbox = {
    messages: (): MailboxMessage[] => smtp.messages.map((m) => {
      if (!received.has(m)) {
        const date = Date.parse(m.headers.date ?? '');
        received.set(m, new Date(Number.isNaN(date) ? Date.now() : date).toISOString());
      }
      return { receivedAt: received.get(m)!, from: m.headers.from ?? m.envelopeFrom, to: m.envelopeTo, subject: m.subject, text: m.text ?? m.html ?? '' };
    }),
  };
  const allocationsCsv = ['project_id,end_date,contact_email', ...DEMO_PROJECTS.map((p) => `${p.id},${day(now + p.endsInDays * DAY)},${p.contact}`)].join('\n');
  return {
    authUrl: fake.authUrl, secret, smtp: { host: smtp.host, port: smtp.port }, mailbox, allocationsCsv, eolDate: day(now + DEMO_EOL_IN_DAYS * DAY), servers, earlierNotices,
    close: async () => {
      clearInterval(clock);
      await smtp.close();
      await fake.close();
    },
  };
}
