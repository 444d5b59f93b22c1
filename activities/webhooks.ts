// The event activity of the image pipeline: turns a workflow's ImageEvent into a CloudEvent and
// posts it to every configured webhook. Idempotent: the event id comes from the workflow, and
// targets already served are remembered in the heartbeat, so a retry posts only to the rest.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type CloudEvent, type WebhookPoster } from '../clients/webhooks.js';
import { type ImageEvent } from '../workflows/image-stream-model.js';

/** What the webhook activities need. */
export interface WebhookActivityDeps {
  /** Null (or zero targets) when no webhooks are configured: events are dropped. */
  poster: WebhookPoster | null;
}

/** What `postImageEvent` did. */
export interface PostImageEventResult {
  delivered: number;
  /** Targets that refused the event for good (4xx), by safe description. */
  rejected: string[];
}

/** The CloudEvent for an image pipeline event. */
export function toCloudEvent(event: ImageEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source: `/stratus/image-stream/${event.stream}`,
    type: `org.stratus.image.${event.kind}`,
    time: event.time,
    ...(event.imageId ? { subject: event.imageId } : {}),
    datacontenttype: 'application/json',
    data: { stream: event.stream, ...(event.imageId ? { imageId: event.imageId } : {}), ...event.data },
  };
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Builds the webhook activities. */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  return {
    /** Posts one event to every webhook; retryable failures are thrown after the others were served. */
    async postImageEvent(event: ImageEvent): Promise<PostImageEventResult> {
      const poster = deps.poster;
      if (!poster || poster.targets === 0) return { delivered: 0, rejected: [] };
      const ctx = currentContext();
      const previous = ctx?.info.heartbeatDetails as { done?: number[]; rejected?: string[] } | undefined;
      const done = [...(previous?.done ?? [])];
      const rejected = [...(previous?.rejected ?? [])];
      const outcomes = await poster.post(toCloudEvent(event), { skip: done, signal: ctx?.cancellationSignal });
      const retry: string[] = [];
      for (const o of outcomes) {
        if (o.ok) done.push(o.target);
        else if (o.retryable) retry.push(o.detail);
        else {
          done.push(o.target);
          rejected.push(o.detail);
        }
      }
      ctx?.heartbeat({ done, rejected });
      if (retry.length > 0) {
        throw ApplicationFailure.retryable(`event ${event.id} not delivered to ${retry.join(', ')}`, 'WebhookUnavailable');
      }
      return { delivered: done.length - rejected.length, rejected };
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
