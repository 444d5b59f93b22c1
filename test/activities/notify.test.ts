import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createSmtpNotifier, type Notifier } from '../../clients/smtp.js';
import { type SendLifecycleNoticesInput, type SendLifecycleNoticesResult, createNotifyActivities } from '../../activities/notify.js';
import { plan } from '../../workflows/lifecycle-planner.js';
import { type PlanItem, type ServerInfo } from '../../workflows/lifecycle-types.js';
import { type SmtpListener, startSmtpListener } from '../support/smtp-listener.js';

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
const DAY = 86_400_000;

let smtp: SmtpListener;
let notifier: Notifier;

beforeAll(async () => {
  smtp = await startSmtpListener({ rejectRecipients: /^ghost@/ });
  notifier = createSmtpNotifier({ host: smtp.host, port: smtp.port, secure: false, from: 'cloud@example.org', timeoutMs: 5000 });
});

afterAll(async () => {
  notifier.close();
  await smtp.close();
});

beforeEach(() => {
  smtp.messages.length = 0;
});

const stopped = (id: string, projectId: string, ownerEmail?: string): ServerInfo => ({
  id, name: `vm-${id}`, projectId, ...(ownerEmail ? { ownerEmail } : {}), status: 'SHUTOFF', updated: '2026-03-01T00:00:00Z', metadata: {},
  lastActions: [{ action: 'stop', startTime: '2026-03-01T00:00:00Z' }],
});

/** Due notices from the real planner: three stopped servers, two owned by alice, one with nobody to tell. */
function dueNotices(): PlanItem[] {
  const p = plan({
    inventory: {
      servers: [stopped('s1', 'p1', 'alice@example.org'), stopped('s2', 'p1', 'alice@example.org'), stopped('s3', 'p2'), stopped('s4', 'p3', 'ghost@example.org')],
      images: [], volumes: [], floatingIps: [], networks: [], routers: [], ports: [], containers: [],
    },
    allocations: [], eol: [], noticesSent: [], now: '2026-03-09T03:00:00Z',
    policies: { rules: [{ kind: 'shelve-stopped', after: 14 * DAY, warn: [7 * DAY, DAY] }], exemptMetadataKey: 'stratus:exempt', exempt: [] },
  });
  return p.items;
}

const activities = (fallbackTo?: string[]) =>
  createNotifyActivities({ notifier, notice: { cloudName: 'Research Cloud', exemptMetadataKey: 'stratus:exempt' }, ...(fallbackTo ? { fallbackTo } : {}) });

/** Runs the activity in a mock activity context (typed: `run` loses the result type). */
function send(env: MockActivityEnvironment, acts: ReturnType<typeof activities>, input: SendLifecycleNoticesInput): Promise<SendLifecycleNoticesResult> {
  return env.run(acts.sendLifecycleNotices, input) as Promise<SendLifecycleNoticesResult>;
}

describe('sendLifecycleNotices', () => {
  it('sends one message per recipient group, and returns what was sent, unaddressed and refused', async () => {
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const result = await send(env, activities(), { sweepId: 'lifecycle-sweep-2026-03-09', items: dueNotices(), at: '2026-03-09T03:00:00.000Z' });
    expect(result.sent).toEqual([
      { resourceId: 's1', rule: 'shelve-stopped', stage: 'warn-7d', sentAt: '2026-03-09T03:00:00.000Z' },
      { resourceId: 's2', rule: 'shelve-stopped', stage: 'warn-7d', sentAt: '2026-03-09T03:00:00.000Z' },
    ]);
    expect(result.unaddressed).toEqual([{ resourceId: 's3', rule: 'shelve-stopped', stage: 'warn-7d' }]);
    expect(result.failed).toEqual([expect.objectContaining({ keys: [{ resourceId: 's4', rule: 'shelve-stopped', stage: 'warn-7d' }], recipients: ['ghost@example.org'] })]);
    expect(result.failed[0].error).toContain('No such user ghost@example.org');

    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail.envelopeTo).toEqual(['alice@example.org']);
    expect(mail.subject).toBe('[Research Cloud] 2 servers will be shelved on or after 2026-03-16');
    expect(mail.text).toContain('server vm-s1 (s1, project p1)');
    expect(mail.html).toContain('server vm-s2 (s2, project p1)');
    expect(mail.headers['x-stratus-sweep']).toBe('lifecycle-sweep-2026-03-09');
    expect(mail.headers['message-id']).toMatch(/^<[0-9a-f]{32}@stratus\.lifecycle>$/);
  });

  it('sends to the fallback address when a resource has no owner or contact', async () => {
    const env = new MockActivityEnvironment({}, { logger: quiet });
    const items = dueNotices().filter((i) => i.resourceId === 's3');
    const result = await send(env, activities(['ops@example.org']), { sweepId: 'sweep-1', items });
    expect(result.sent.map((s) => s.resourceId)).toEqual(['s3']);
    expect(smtp.messages.map((m) => m.envelopeTo)).toEqual([['ops@example.org']]);
  });

  it('skips on retry what an earlier attempt sent (heartbeat details), so each notice goes out once', async () => {
    const first = new MockActivityEnvironment({}, { logger: quiet });
    const beats: unknown[] = [];
    first.on('heartbeat', (d: unknown) => beats.push(d));
    const items = dueNotices();
    await send(first, activities(), { sweepId: 'sweep-2', items });
    expect(smtp.messages).toHaveLength(1);

    const retry = new MockActivityEnvironment({ heartbeatDetails: beats.at(-1), attempt: 2 }, { logger: quiet });
    const again = await send(retry, activities(), { sweepId: 'sweep-2', items });
    expect(smtp.messages).toHaveLength(1);
    expect(again.sent.map((s) => s.resourceId)).toEqual(['s1', 's2']);

    // only notify items that are due are ever sent
    const notDue = items.map((i) => ({ ...i, due: false }));
    expect((await send(new MockActivityEnvironment({}, { logger: quiet }), activities(), { sweepId: 'sweep-3', items: notDue })).sent).toEqual([]);
  });

  it('fails for good on a refused login and for a retry when the server is down', async () => {
    const authed = await startSmtpListener({ users: { bot: 'right' } });
    const wrong = createSmtpNotifier({ host: authed.host, port: authed.port, secure: false, from: 'cloud@example.org', auth: { user: 'bot', pass: 'wrong-pw' } });
    const down = createSmtpNotifier({ host: '127.0.0.1', port: 1, secure: false, from: 'cloud@example.org', timeoutMs: 500 });
    const run = (n: Notifier) => new MockActivityEnvironment({}, { logger: quiet }).run(
      createNotifyActivities({ notifier: n, notice: { cloudName: 'c', exemptMetadataKey: 'k' } }).sendLifecycleNotices, { sweepId: 'sweep-4', items: dueNotices() });
    const auth = await run(wrong).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(ApplicationFailure);
    expect([(auth as ApplicationFailure).type, (auth as ApplicationFailure).nonRetryable]).toEqual(['SmtpAuthFailed', true]);
    expect((auth as ApplicationFailure).message).not.toContain('wrong-pw');
    const unreachable = await run(down).catch((e: unknown) => e);
    expect([(unreachable as ApplicationFailure).type, (unreachable as ApplicationFailure).nonRetryable]).toEqual(['SmtpUnavailable', false]);
    wrong.close();
    down.close();
    await authed.close();
  });

  it('refuses a bad sweep id', async () => {
    const env = new MockActivityEnvironment({}, { logger: quiet });
    await expect(send(env, activities(), { sweepId: '../etc', items: [] })).rejects.toThrow('sweepId "../etc" is not a valid sweep id');
  });
});
