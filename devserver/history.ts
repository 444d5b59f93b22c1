// The event-writing rules, in one place: how an event is appended (ids, virtual time, size),
// when events from outside the workflow are buffered behind a started workflow task, and the
// close events a workflow's own command writes. Workflow tasks that the real server keeps off
// history until they complete (transient retries, speculative update tasks) are in
// workflow-tasks.ts, which makes their events with makeEvent and writes them with pushEvent.
import type { Engine } from './engine.js';
import { eventBytes } from './event-bytes.js';
import { type Msg, ts } from './proto.js';
import type { BufferedEvent, HistoryEvent, Run } from './types.js';

/** An event with id `eventId`, not yet in history (see pushEvent). */
export function makeEvent(engine: Engine, eventId: number, eventType: string, attrsField: string, attrs: Msg, extra: Msg = {}): HistoryEvent {
  return {
    eventId,
    eventTime: ts(engine.clock.now()),
    eventType: `EVENT_TYPE_${eventType}`,
    taskId: eventId,
    ...extra,
    [attrsField]: attrs,
  };
}

/** Writes an event made earlier; it must be the next one. */
export function pushEvent(engine: Engine, run: Run, event: HistoryEvent): void {
  if (event.eventId !== run.history.length + 1) throw new Error(`event ${event.eventId} written after event ${run.history.length}`);
  run.history.push(event);
  run.historySizeBytes += eventBytes(event).length;
  for (const w of run.eventWaiters.splice(0)) w();
  engine.onRunChange(run);
}

/** Appends an event now (callers decide whether it must be buffered); returns its id. */
export function appendEvent(engine: Engine, run: Run, eventType: string, attrsField: string, attrs: Msg, extra: Msg = {}): number {
  const event = makeEvent(engine, run.history.length + 1, eventType, attrsField, attrs, extra);
  pushEvent(engine, run, event);
  return event.eventId;
}

/**
 * Adds events that come from outside the workflow (signals, activity results, timers): while
 * a workflow task is started they are buffered (as data, kept by --db with the run, as the real
 * server keeps them with the workflow's state) and written when it completes; then a workflow
 * task is scheduled if none is pending.
 */
export function deliver(engine: Engine, run: Run, events: BufferedEvent[]): void {
  if (!engine.isOpen(run)) return;
  if (run.wft && run.wft.startedEventId > 0) {
    run.buffered.push(...events);
    engine.onRunChange(run);
    return;
  }
  writeEvents(engine, run, events);
  // a workflow task kept off history (a retry after a failure, or one only for an update) must
  // now be written: there is new work in history for it
  if (run.wft?.unwritten) engine.writeWorkflowTaskScheduled(run, run.wft);
  engine.scheduleWorkflowTask(run);
}

/** Writes the events buffered behind a workflow task; true if there were any. */
export function flushBuffered(engine: Engine, run: Run): boolean {
  const buffered = run.buffered.splice(0);
  writeEvents(engine, run, buffered);
  return buffered.length > 0;
}

function writeEvents(engine: Engine, run: Run, events: BufferedEvent[]): void {
  let previous = 0;
  for (const e of events) {
    const attrs = e.previousIdInto ? { ...e.attrs, [e.previousIdInto]: previous } : e.attrs;
    previous = appendEvent(engine, run, e.eventType, e.attrsField, attrs);
    if (e.childStartedOf !== undefined) {
      const child = run.children.get(e.childStartedOf);
      if (child) child.startedEventId = previous;
    }
  }
}

export const CLOSE_EVENT_FIELDS = {
  COMPLETED: 'workflowExecutionCompletedEventAttributes',
  FAILED: 'workflowExecutionFailedEventAttributes',
  CANCELED: 'workflowExecutionCanceledEventAttributes',
} as const;

/** Writes the close event a workflow asked for (complete, fail, cancel) and closes the run. */
export function writeClose(engine: Engine, run: Run, outcome: keyof typeof CLOSE_EVENT_FIELDS, attrs: Msg): void {
  appendEvent(engine, run, `WORKFLOW_EXECUTION_${outcome}`, CLOSE_EVENT_FIELDS[outcome], attrs);
  engine.close(run, `WORKFLOW_EXECUTION_STATUS_${outcome}`);
}

export const dur = (ms: number): Msg => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
