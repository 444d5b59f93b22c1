// Lifecycle notices by email. One message per (recipients, rule, stage): a project purge is one
// email, not fifty. Idempotent per (resource, rule, stage): progress is heartbeated, so a
// retried attempt skips what an earlier attempt sent, and each message carries a Message-ID
// derived from the sweep id so a duplicate can be recognised downstream.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { type NoticeContext, type NoticeResource, renderNotice } from '../clients/notice-templates.js';
import { type Notifier, NotifierError } from '../clients/smtp.js';
import { type NoticeRecord, type PlanItem, type RuleKind } from '../workflows/lifecycle-types.js';

/** What the notify activities need. */
export interface NotifyActivityDeps {
  notifier: Notifier;
  /** Cloud name, exemption metadata key and help contact shown in every message. */
  notice: Omit<NoticeContext, 'reference'>;
  /** Who gets notices about resources without a known owner or contact (else they are reported as unaddressed). */
  fallbackTo?: string[];
}

/** Input of `sendLifecycleNotices`. */
export interface SendLifecycleNoticesInput {
  /** The sweep's id (e.g. the workflow id); part of every Message-ID. */
  sweepId: string;
  /** Plan items; only due `notify` items are sent, the rest are ignored. */
  items: PlanItem[];
  /** Time to record as `sentAt` (the workflow's clock); default the activity's clock. */
  at?: string;
}

/** The identity of a notice: once per resource, rule and stage. */
export interface NoticeKey {
  resourceId: string;
  rule: RuleKind;
  stage: string;
}

/** What happened to the notices; the workflow remembers `sent` so they are never sent again. */
export interface SendLifecycleNoticesResult {
  sent: NoticeRecord[];
  /** Nobody to send to (no owner, no project contact, no fallback). */
  unaddressed: NoticeKey[];
  /** Refused by the SMTP server for good (e.g. unknown recipient); retried next sweep. */
  failed: { keys: NoticeKey[]; recipients: string[]; error: string }[];
}

interface Progress {
  sweepId: string;
  sent: NoticeRecord[];
}

const SWEEP_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;

export function createNotifyActivities(deps: NotifyActivityDeps) {
  return {
    /** Sends the due `notify` items of a plan, grouped per recipients, rule and stage. */
    async sendLifecycleNotices(input: SendLifecycleNoticesInput): Promise<SendLifecycleNoticesResult> {
      if (typeof input?.sweepId !== 'string' || !SWEEP_ID.test(input.sweepId)) {
        throw ApplicationFailure.nonRetryable(`sweepId ${JSON.stringify(input?.sweepId)} is not a valid sweep id`, 'InvalidNoticeRequest');
      }
      const ctx = activityContext();
      const previous = ctx?.info.heartbeatDetails as Progress | undefined;
      const sent: NoticeRecord[] = previous?.sweepId === input.sweepId ? [...previous.sent] : [];
      const done = new Set(sent.map(keyOf));
      const result: SendLifecycleNoticesResult = { sent, unaddressed: [], failed: [] };

      const groups = new Map<string, { recipients: string[]; stage: string; items: PlanItem[] }>();
      for (const item of input.items) {
        if (item.action !== 'notify' || !item.due || !item.stage || done.has(keyOf({ ...item, stage: item.stage }))) continue;
        const recipients = item.recipients.length > 0 ? item.recipients : (deps.fallbackTo ?? []);
        if (recipients.length === 0) {
          result.unaddressed.push({ resourceId: item.resourceId, rule: item.rule, stage: item.stage });
          continue;
        }
        const groupKey = `${[...recipients].sort().join(',')}|${item.rule}|${item.stage}|${item.announces?.effect ?? ''}`;
        const group = groups.get(groupKey) ?? { recipients: [...recipients].sort(), stage: item.stage, items: [] };
        if (!group.items.some((i) => i.resourceId === item.resourceId)) group.items.push(item);
        groups.set(groupKey, group);
      }

      for (const [groupKey, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const keys = group.items.map((i) => ({ resourceId: i.resourceId, rule: i.rule, stage: group.stage }));
        const rendered = renderNotice({ stage: group.stage, resources: group.items.map(toResource) }, { ...deps.notice, reference: input.sweepId });
        const digest = createHash('sha256').update(`${input.sweepId}\n${groupKey}\n${keys.map(keyOf).sort().join('\n')}`).digest('hex').slice(0, 32);
        try {
          await deps.notifier.send({
            to: group.recipients, ...rendered, messageId: `<${digest}@stratus.lifecycle>`,
            headers: { 'X-Stratus-Sweep': input.sweepId, 'Auto-Submitted': 'auto-generated' },
          }, ctx?.cancellationSignal);
        } catch (error) {
          if (error instanceof NotifierError && error.kind === 'auth') {
            throw ApplicationFailure.create({ message: error.message, type: 'SmtpAuthFailed', nonRetryable: true, details: [{ sent }] });
          }
          if (error instanceof NotifierError && !error.retryable) {
            result.failed.push({ keys, recipients: group.recipients, error: error.message });
            continue;
          }
          // Transient: let Temporal retry; the heartbeat keeps what was already sent.
          throw ApplicationFailure.retryable(error instanceof Error ? error.message : String(error), 'SmtpUnavailable');
        }
        const at = input.at ?? new Date().toISOString();
        for (const k of keys) sent.push({ ...k, sentAt: at });
        ctx?.heartbeat({ sweepId: input.sweepId, sent } satisfies Progress);
      }
      return result;
    },
  };
}

function toResource(item: PlanItem): NoticeResource {
  return {
    type: item.resourceType, id: item.resourceId, name: item.resourceName, projectId: item.projectId, rule: item.rule,
    effect: item.announces?.effect ?? 'delete', at: item.announces?.at ?? item.dueAt, reason: item.reason,
    ...(item.announces?.image ? { image: item.announces.image } : {}),
  };
}

function keyOf(k: NoticeKey): string {
  return `${k.resourceId}\u0000${k.rule}\u0000${k.stage}`;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
