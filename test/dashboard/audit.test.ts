// The audit from workflow histories: recorded histories (JSON, base64 payloads) and the SDK's
// shape (Uint8Array payloads, Long timestamps); updates completed, failed and rejected, signals,
// continue-as-new runs in order, and secrets never shown.
import { readFileSync } from 'node:fs';
import { auditEntries, type AuditRun, describeEntry, type HistoryEventLike, redact } from '../../dashboard/audit.js';

const recorded = (name: string): HistoryEventLike[] =>
  (JSON.parse(readFileSync(new URL(`../replay/histories/${name}.json`, import.meta.url), 'utf8')) as { events: HistoryEventLike[] }).events;
const json = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(v)).toString('base64') });

describe('audit entries', () => {
  it('reads every update of a recorded image-stream history with its arguments, sender, time and outcome', () => {
    const entries = auditEntries([{ workflowId: 'image-stream-atomic', runId: 'r1', events: recorded('imageStream--image-stream') }]);
    expect(entries.map((e) => [e.name, e.who, e.outcome])).toEqual([
      ['fail', '13469@vm', 'completed'], ['revoke', '13469@vm', 'completed'], ['pause', '13469@vm', 'completed'], ['resume', '13469@vm', 'completed'],
    ]);
    expect(entries[1]).toMatchObject({
      kind: 'update', at: '2026-12-03T03:00:00.022Z', eventId: 208, args: [{ imageId: 'atomic-20261202.1', reason: 'CVE-2025-0001 in the kernel' }],
    });
    expect(entries[1]!.completedAt! >= entries[1]!.at).toBe(true);
    expect(describeEntry(entries[1]!)).toBe('2026-12-03 03:00:00  13469@vm             update revoke {"imageId":"atomic-20261202.1","reason":"CVE-2025-0001 in the kernel"}  → completed');
  });

  it('the release gate of a recorded train: approve, with its result', () => {
    const [approve] = auditEntries([{ workflowId: 'release-v40', runId: 'r', events: recorded('releaseTrain--release-train') }]);
    expect(approve).toMatchObject({ name: 'approve', args: [], outcome: 'completed', at: '2026-12-29T13:59:43.283Z' });
    expect(typeof approve!.result).toBe('string');
  });

  it('signals, rejected and failed updates, across continue-as-new runs oldest first; secrets redacted', () => {
    const first: AuditRun = {
      workflowId: 'lifecycle', runId: 'run-1', events: [
        { eventId: '3', eventTime: '2026-01-01T03:00:00Z', workflowExecutionSignaledEventAttributes: { signalName: 'configure', identity: 'cli:alice', input: { payloads: [json({ smtp: { password: 'hunter2', host: 'mail' }, apiKey: 'k' })] } } },
        { eventId: '9', eventTime: '2026-01-02T10:00:00Z', workflowExecutionUpdateRejectedEventAttributes: {
          rejectedRequest: { meta: { updateId: 'u0', identity: 'dashboard:bob' }, input: { name: 'exempt', args: { payloads: [json({ resourceId: 'vm-1', until: 'soon' })] } } },
          failure: { message: 'until: must be a date YYYY-MM-DD' } } },
      ],
    };
    const second: AuditRun = {
      workflowId: 'lifecycle', runId: 'run-2', events: [
        { eventId: '5', eventTime: '2026-02-01T09:00:00Z', workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId: 'u1', identity: 'dashboard:carol' }, input: { name: 'sweepNow', args: { payloads: [json({ enforce: true })] } } } } },
        { eventId: '7', eventTime: '2026-02-01T09:00:01Z', workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId: 'u1' }, outcome: { failure: { message: 'the cloud refused', cause: null } } } },
        { eventId: '8', eventTime: '2026-02-01T09:05:00Z', workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId: 'u2', identity: 'cli:dave' }, input: { name: 'exempt' } } } },
      ],
    };
    // newest run first, as the loader reads them: the entries still come out oldest first
    const entries = auditEntries([second, first]);
    expect(entries.map((e) => `${e.runId} ${e.kind} ${e.name} by ${e.who}: ${e.outcome}${e.message ? ` (${e.message})` : ''}`)).toEqual([
      'run-1 signal configure by cli:alice: signalled',
      'run-1 update exempt by dashboard:bob: rejected (until: must be a date YYYY-MM-DD)',
      'run-2 update sweepNow by dashboard:carol: failed (the cloud refused)',
      'run-2 update exempt by cli:dave: accepted',
    ]);
    expect(entries[0]!.args).toEqual([{ smtp: { password: '[redacted]', host: 'mail' }, apiKey: '[redacted]' }]);
    expect(JSON.stringify(entries)).not.toContain('hunter2');
  });

  it('reads the SDK shape: Uint8Array payloads, Long-like seconds, binary/null', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const events: HistoryEventLike[] = [{
      eventId: { toString: () => '12' }, eventTime: { seconds: { toNumber: () => 1767225600 }, nanos: 250_000_000 },
      workflowExecutionSignaledEventAttributes: {
        signalName: 'exemptionsChanged', identity: '',
        input: { payloads: [{ metadata: { encoding: enc('json/plain') }, data: enc('[{"id":"vm-2","token":"t0p"}]') }, { metadata: { encoding: enc('binary/null') } }] },
      },
    }];
    expect(auditEntries([{ workflowId: 'lifecycle-sweep-x', runId: 'r', events }])).toEqual([{
      workflowId: 'lifecycle-sweep-x', runId: 'r', eventId: 12, at: '2026-01-01T00:00:00.250Z', kind: 'signal', name: 'exemptionsChanged',
      args: [[{ id: 'vm-2', token: '[redacted]' }], null], who: null, outcome: 'signalled',
    }]);
  });

  it('redacts secret-looking keys at any depth and leaves the rest', () => {
    expect(redact({ a: [{ clientSecret: 1, Authorization: 'Bearer x' }], passwordEnv: 'SMTP_PASS', reason: 'kept' }))
      .toEqual({ a: [{ clientSecret: '[redacted]', Authorization: '[redacted]' }], passwordEnv: '[redacted]', reason: 'kept' });
  });
});
