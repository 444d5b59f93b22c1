// gRPC handlers: WorkflowService, OperatorService and TestService over the engine. Anything not
// implemented answers UNIMPLEMENTED with the method's name (never a hang).
import { randomUUID } from 'node:crypto';
import {
  describePendingActivity,
  recordHeartbeat,
  recordHeartbeatById,
  respondActivityCanceled,
  respondActivityCanceledById,
  respondActivityCompleted,
  respondActivityCompletedById,
  respondActivityFailed,
  respondActivityFailedById,
} from './activities.js';
import { pauseActivity, resetActivity, unpauseActivity } from './activity-control.js';
import { updateActivityOptions } from './activity-options.js';
import { checkUpdateRequest, encodeUpdateRequest } from './updates.js';
import { respondWorkflowTaskCompleted, respondWorkflowTaskFailed } from './workflow-tasks.js';
import { type Engine, type Namespace, decodeToken } from './engine.js';
import { DECODE_ERROR, GrpcError, type Handler, type Msg, invalidArgument, notFound, serviceMethods, ts, durationToMs, unimplemented } from './proto.js';
import type { CallContext, CallError, GrpcServer } from './grpc-server.js';
import { Status } from './status.js';
import { spliceHistoryBytes } from './event-bytes.js';
import { failingOperation } from './multi-operation.js';
import { executionInfo, legacyListHandlers, listPage, listRuns } from './listing.js';
import { batchHandlers } from './batch.js';
import { deleteWorkflowExecution } from './delete-run.js';
import { resetExtendedInfo, resetWorkflowExecution } from './reset.js';
import { scheduleHandlers } from './schedule-handlers.js';
import { keywordPayload, statusName } from './visibility.js';

const POLL_TIMEOUT_MS = 55_000;
export const SERVER_VERSION = '1.27.0+stratus';

export function workflowServiceHandlers(engine: Engine): Record<string, Handler> {
  const ns = (req: Msg) => engine.namespace(req.namespace).name;
  const onCancel = (call: CallContext) => (cancel: () => void) => call.on('cancelled', cancel);

  return {
    ...scheduleHandlers(engine, ns),

    GetSystemInfo: () => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: true,
        encodedFailureAttributes: true,
        buildIdBasedVersioning: false,
        upsertMemo: true,
        eagerWorkflowStart: true,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
        nexus: false,
      },
    }),

    DescribeNamespace: (req) => {
      const n = engine.namespace(req.namespace || undefined);
      return describeNamespace(n);
    },
    ListNamespaces: () => ({ namespaces: [...engine.namespaces.values()].map(describeNamespace) }),
    RegisterNamespace: (req) => {
      if (!req.namespace) throw invalidArgument('Namespace name is not set on request.');
      if (engine.namespaces.has(req.namespace)) throw new GrpcError(Status.ALREADY_EXISTS, 'Namespace already exists.');
      const retentionMs = checkedRetention(req.workflowExecutionRetentionPeriod) ?? 86_400_000;
      const n = engine.registerNamespace(req.namespace, retentionMs, req.description);
      if (req.ownerEmail) n.ownerEmail = req.ownerEmail;
      if (req.data && Object.keys(req.data).length) n.data = { ...req.data };
      engine.changed();
      return {};
    },
    UpdateNamespace: (req) => {
      const n = engine.namespace(req.namespace || undefined);
      const info = req.updateInfo ?? {};
      const retentionMs = checkedRetention(req.config?.workflowExecutionRetentionTtl);
      if (info.state && info.state !== 'NAMESPACE_STATE_REGISTERED' && info.state !== 'NAMESPACE_STATE_UNSPECIFIED') {
        throw invalidArgument(`updateInfo.state ${info.state} is not supported by this server: a namespace here is always registered`);
      }
      // as the real server: a field left empty keeps its value, data keys are merged in
      if (info.description) n.description = info.description;
      if (info.ownerEmail) n.ownerEmail = info.ownerEmail;
      if (info.data && Object.keys(info.data).length) n.data = { ...n.data, ...info.data };
      if (retentionMs !== undefined) n.retentionMs = retentionMs;
      engine.changed();
      return describeNamespace(n);
    },

    StartWorkflowExecution: (req) => {
      ns(req);
      // eager start: the new run's first task goes back to the starter (a worker sharing its
      // connection), not to a poller; none for an existing run or a delayed (start delay, cron) start
      const { run, started, eagerTask } = engine.startWorkflow(req, req.requestEagerExecution ? { eagerFor: req.identity ?? '' } : {});
      return { runId: run.runId, started, status: run.status, eagerWorkflowTask: eagerTask };
    },

    SignalWithStartWorkflowExecution: (req) => {
      ns(req);
      const runs = engine.runsOf(req.namespace, req.workflowId);
      const current = runs[runs.length - 1];
      if (current && engine.isOpen(current) && req.workflowIdConflictPolicy === 'WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING') {
        engine.terminate(current, 'terminated by signal-with-start (workflow id conflict policy TERMINATE_EXISTING)', undefined, req.identity);
      } else if (current && engine.isOpen(current)) {
        engine.signal(current, { signalName: req.signalName, input: req.signalInput, identity: req.identity, header: req.header, requestId: req.requestId });
        return { runId: current.runId, started: false };
      }
      const { run } = engine.startWorkflow(
        { ...req, workflowIdConflictPolicy: 'WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING' },
        {
          onStarted: (r) =>
            engine.append(r, 'WORKFLOW_EXECUTION_SIGNALED', 'workflowExecutionSignaledEventAttributes', {
              signalName: req.signalName,
              input: req.signalInput,
              identity: req.identity,
              header: req.header,
            }),
        },
      );
      return { runId: run.runId, started: true };
    },

    SignalWorkflowExecution: (req) => {
      const run = engine.findRun(ns(req), req.workflowExecution, { mustBeOpen: true });
      if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
      engine.signal(run, req);
      return {};
    },

    RequestCancelWorkflowExecution: (req) => {
      const run = engine.findRun(ns(req), req.workflowExecution, { mustBeOpen: true });
      engine.requestCancel(run, req);
      return {};
    },

    TerminateWorkflowExecution: (req) => {
      const run = engine.findRun(ns(req), req.workflowExecution, { mustBeOpen: true });
      engine.terminate(run, req.reason, req.details, req.identity);
      return {};
    },

    PollWorkflowTaskQueue: async (req, call) => {
      ns(req);
      const name = req.taskQueue?.name;
      if (!name) throw invalidArgument('TaskQueue is not set on request.');
      const task = await engine.workflowQueues.poll(name, req.identity ?? '', POLL_TIMEOUT_MS, onCancel(call));
      return task ?? {};
    },

    RespondWorkflowTaskCompleted: (req) => respondWorkflowTaskCompleted(engine, req),
    RespondWorkflowTaskFailed: (req) => respondWorkflowTaskFailed(engine, req),

    RespondQueryTaskCompleted: (req) => {
      engine.answerQuery(decodeToken(req.taskToken), req);
      return {};
    },

    PollActivityTaskQueue: async (req, call) => {
      ns(req);
      const name = req.taskQueue?.name;
      if (!name) throw invalidArgument('TaskQueue is not set on request.');
      const task = await engine.activityQueues.poll(name, req.identity ?? '', POLL_TIMEOUT_MS, onCancel(call));
      return task ?? {};
    },

    RespondActivityTaskCompleted: (req) => respondActivityCompleted(engine, req),
    RespondActivityTaskFailed: (req) => respondActivityFailed(engine, req),
    RespondActivityTaskCanceled: (req) => respondActivityCanceled(engine, req),
    RecordActivityTaskHeartbeat: (req) => recordHeartbeat(engine, req),
    RespondActivityTaskCompletedById: (req) => respondActivityCompletedById(engine, req),
    RespondActivityTaskFailedById: (req) => respondActivityFailedById(engine, req),
    RespondActivityTaskCanceledById: (req) => respondActivityCanceledById(engine, req),
    RecordActivityTaskHeartbeatById: (req) => recordHeartbeatById(engine, req),
    PauseActivity: (req) => pauseActivity(engine, req),
    UnpauseActivity: (req) => unpauseActivity(engine, req),
    ResetActivity: (req) => resetActivity(engine, req),
    UpdateActivityOptions: (req) => updateActivityOptions(engine, req),

    QueryWorkflow: async (req) => {
      const run = engine.findRun(ns(req), req.execution);
      if (!req.query?.queryType) throw invalidArgument('QueryType is not set on request.');
      const reject = req.queryRejectCondition as string | undefined;
      if (!engine.isOpen(run)) {
        const cleanly = run.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED' || run.status === 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW';
        if (reject === 'QUERY_REJECT_CONDITION_NOT_OPEN' || (reject === 'QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY' && !cleanly)) {
          return { queryRejected: { status: run.status } };
        }
      }
      const result = await engine.query(run, req.query);
      return { queryResult: result };
    },

    UpdateWorkflowExecution: async (req) => {
      const run = engine.findRun(ns(req), req.workflowExecution);
      if (req.firstExecutionRunId && run.firstRunId !== req.firstExecutionRunId) throw notFound('workflow execution not found (first execution run id mismatch)');
      const u = engine.admitUpdate(run, req.request, encodeUpdateRequest(req.request));
      return engine.waitUpdate(run, u, req.waitPolicy?.lifecycleStage);
    },

    PollWorkflowExecutionUpdate: async (req) => {
      const ref = req.updateRef ?? {};
      const run = engine.findRun(ns(req), ref.workflowExecution);
      const u = run.updates.get(ref.updateId);
      if (!u) throw notFound(`update ${ref.updateId} not found`);
      return engine.waitUpdate(run, u, req.waitPolicy?.lifecycleStage ?? 'UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED');
    },

    GetWorkflowExecutionHistory: async (req) => {
      const run = engine.findRun(ns(req), req.execution);
      if (req.historyEventFilterType === 'HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT') {
        if (engine.isOpen(run) && req.waitNewEvent) await engine.waitForClose(run);
        if (engine.isOpen(run)) {
          return req.waitNewEvent ? { history: { events: [] }, nextPageToken: Buffer.from('close') } : { history: { events: [] } };
        }
        return { history: { events: [run.history[run.history.length - 1]] } };
      }
      let from = 0;
      if (req.nextPageToken && (req.nextPageToken as Uint8Array).length > 0) {
        from = Number(Buffer.from(req.nextPageToken as Uint8Array).toString('utf8'));
        if (!Number.isInteger(from) || from < 0) throw invalidArgument('Invalid NextPageToken.');
      }
      if (req.waitNewEvent && from >= run.history.length && engine.isOpen(run)) await engine.waitForEvent(run, from);
      const pageSize = Number(req.maximumPageSize) > 0 ? Number(req.maximumPageSize) : 1000;
      const events = run.history.slice(from, from + pageSize);
      const next = from + events.length;
      const more = next < run.history.length || (req.waitNewEvent && engine.isOpen(run));
      return { history: { events }, nextPageToken: more ? Buffer.from(String(next)) : undefined };
    },

    GetWorkflowExecutionHistoryReverse: (req) => {
      const run = engine.findRun(ns(req), req.execution);
      return { history: { events: [...run.history].reverse() } };
    },

    DescribeWorkflowExecution: (req) => {
      const run = engine.findRun(ns(req), req.execution);
      const dur = (ms: number) => (ms > 0 ? { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 } : undefined);
      return {
        executionConfig: {
          taskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
          workflowExecutionTimeout: dur(run.executionTimeoutMs),
          workflowRunTimeout: dur(run.runTimeoutMs),
          defaultWorkflowTaskTimeout: dur(run.wftTimeoutMs),
          userMetadata: run.history[0]?.userMetadata,
        },
        workflowExecutionInfo: executionInfo(run),
        pendingActivities: [...run.activities.values()].map(describePendingActivity),
        pendingChildren: [...run.children.values()]
          .filter((c) => c.runId)
          .map((c) => ({
            workflowId: c.workflowId,
            runId: c.runId,
            workflowTypeName: c.workflowType,
            initiatedId: c.initiatedEventId,
            parentClosePolicy: c.parentClosePolicy,
          })),
        pendingWorkflowTask: run.wft
          ? {
              state: run.wft.startedEventId ? 'PENDING_WORKFLOW_TASK_STATE_STARTED' : 'PENDING_WORKFLOW_TASK_STATE_SCHEDULED',
              scheduledTime: ts(run.wft.scheduledTime),
              startedTime: run.wft.startedTime ? ts(run.wft.startedTime) : undefined,
              attempt: run.wft.attempt,
            }
          : undefined,
        workflowExtendedInfo: resetExtendedInfo(run),
      };
    },

    ListWorkflowExecutions: (req) => listPage(listRuns(engine, ns(req), req.query), req.pageSize, req.nextPageToken),
    ...legacyListHandlers(engine),

    CountWorkflowExecutions: (req) => {
      const m = /^(.*?)\s*GROUP\s+BY\s+(.+)$/is.exec(req.query ?? '');
      if (!m) return { count: listRuns(engine, ns(req), req.query).length };
      const field = m[2]!.trim().replace(/^`|`$/g, '');
      if (field !== 'ExecutionStatus') throw invalidArgument(`invalid query: GROUP BY is only supported for ExecutionStatus, not ${field}`);
      const counts = new Map<string, number>();
      for (const run of listRuns(engine, ns(req), m[1])) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
      const groups = [...counts.entries()].map(([status, count]) => ({ groupValues: [keywordPayload(statusName(status))], count }));
      return { count: groups.reduce((a, g) => a + g.count, 0), groups };
    },

    GetClusterInfo: () => ({
      supportedClients: {},
      serverVersion: SERVER_VERSION,
      clusterId: engine.clusterId,
      versionInfo: { current: { version: SERVER_VERSION } },
      clusterName: 'stratus-embedded',
      historyShardCount: 1,
      persistenceStore: engine.persistent ? 'stratus-append-log' : 'memory',
      visibilityStore: 'memory',
      initialFailoverVersion: 1,
      failoverVersionIncrement: 10,
    }),

    GetSearchAttributes: () => ({
      keys: Object.fromEntries([...Object.entries(engine.searchAttributes.system()), ...engine.searchAttributes.custom.entries()]),
    }),

    DescribeTaskQueue: (req) => {
      ns(req);
      const name = req.taskQueue?.name;
      if (!name) throw invalidArgument('TaskQueue is not set on request.');
      const queues = req.taskQueueType === 'TASK_QUEUE_TYPE_ACTIVITY' ? engine.activityQueues : engine.workflowQueues;
      return {
        pollers: queues.recentPollers(name).map((p) => ({ identity: p.identity, lastAccessTime: ts(p.lastAccessTime), ratePerSecond: 0 })),
        taskQueueStatus: { backlogCountHint: queues.backlog(name) },
      };
    },

    ShutdownWorker: (req) => {
      // tasks waiting on the worker's sticky queue go back to the normal queue at once
      if (req.stickyTaskQueue) releaseStickyQueue(engine, req.stickyTaskQueue);
      return {};
    },

    ResetWorkflowExecution: (req) => resetWorkflowExecution(engine, req),
    DeleteWorkflowExecution: (req) => deleteWorkflowExecution(engine, req),
    ...batchHandlers(engine),

    ResetStickyTaskQueue: (req) => {
      const run = engine.findRun(ns(req), req.execution);
      run.sticky = undefined;
      return {};
    },

    ExecuteMultiOperation: async (req) => {
      ns(req);
      const [first, second] = (req.operations ?? []) as Msg[];
      const start = first?.startWorkflow;
      const update = second?.updateWorkflow;
      if (!start || !update) throw invalidArgument('ExecuteMultiOperation supports exactly [startWorkflow, updateWorkflow].');
      // The update's own checks come first, so a bad update starts nothing (as on the real server).
      failingOperation(1, () => checkUpdateRequest(update.request ?? {}));
      const { run, started } = failingOperation(0, () => engine.startWorkflow({ ...start, namespace: req.namespace }));
      const u = failingOperation(1, () => engine.admitUpdate(run, update.request, encodeUpdateRequest(update.request)));
      const updateResponse = await engine.waitUpdate(run, u, update.waitPolicy?.lifecycleStage);
      return {
        responses: [{ startWorkflow: { runId: run.runId, started, status: run.status } }, { updateWorkflow: updateResponse }],
      };
    },
  };
}

function releaseStickyQueue(engine: Engine, queue: string): void {
  engine.workflowQueues.drain(queue);
  for (const run of engine.runsById.values()) {
    if (run.sticky?.queue !== queue) continue;
    run.sticky = undefined;
    const wft = run.wft;
    if (wft && wft.startedEventId === 0 && wft.queue === queue) {
      wft.cancelTimeout?.();
      if (!wft.unwritten) engine.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: 0,
        timeoutType: 'TIMEOUT_TYPE_SCHEDULE_TO_START',
      });
      run.wft = undefined;
      engine.scheduleWorkflowTask(run);
    }
  }
}

/** A retention period from a request (undefined if not given); a negative one is refused. */
function checkedRetention(d: Msg | undefined): number | undefined {
  const ms = durationToMs(d);
  if (ms === undefined || ms === 0) return undefined;
  if (ms < 0) throw invalidArgument('the namespace retention period (workflowExecutionRetentionTtl) cannot be negative');
  return ms;
}

function describeNamespace(n: Namespace): Msg {
  return {
    namespaceInfo: {
      name: n.name,
      state: 'NAMESPACE_STATE_REGISTERED',
      description: n.description ?? '',
      ownerEmail: n.ownerEmail ?? '',
      data: n.data ?? {},
      id: n.id,
      capabilities: { eagerWorkflowStart: true, syncUpdate: true, asyncUpdate: true, workerHeartbeats: false },
      supportsSchedules: true,
    },
    config: {
      workflowExecutionRetentionTtl: { seconds: Math.floor(n.retentionMs / 1000) },
      historyArchivalState: 'ARCHIVAL_STATE_DISABLED',
      visibilityArchivalState: 'ARCHIVAL_STATE_DISABLED',
    },
    isGlobalNamespace: false,
  };
}

export function operatorServiceHandlers(engine: Engine): Record<string, Handler> {
  return {
    AddSearchAttributes: (req) => {
      if (req.namespace) engine.namespace(req.namespace);
      engine.searchAttributes.add(req.searchAttributes ?? {});
      engine.changed();
      return {};
    },
    RemoveSearchAttributes: (req) => {
      if (req.namespace) engine.namespace(req.namespace);
      engine.searchAttributes.remove(req.searchAttributes ?? []);
      engine.changed();
      return {};
    },
    ListSearchAttributes: (req) => {
      if (req.namespace) engine.namespace(req.namespace);
      return {
        customAttributes: Object.fromEntries(engine.searchAttributes.custom),
        systemAttributes: engine.searchAttributes.system(),
        storageSchema: {},
      };
    },
  };
}

export function testServiceHandlers(engine: Engine): Record<string, Handler> {
  const clock = engine.clock;
  return {
    LockTimeSkipping: () => {
      clock.lock();
      return {};
    },
    UnlockTimeSkipping: () => {
      clock.unlock();
      return {};
    },
    // Sleep and SleepUntil wait for virtual time without releasing a lock, as the real test server
    Sleep: async (req) => {
      await clock.wait(durationToMs(req.duration) ?? 0);
      return {};
    },
    SleepUntil: async (req) => {
      await clock.wait(Math.max(0, (durationToMs(req.timestamp) ?? 0) - clock.now()));
      return {};
    },
    UnlockTimeSkippingWithSleep: async (req) => {
      await clock.sleep(durationToMs(req.duration) ?? 0);
      return {};
    },
    GetCurrentTime: () => ({ time: ts(clock.now()) }),
  };
}

/** Adds a service to the server; methods without a handler answer UNIMPLEMENTED by name. */
export function addService(server: GrpcServer, serviceName: string, handlers: Record<string, Handler>, log: (m: string) => void): void {
  const methods = serviceMethods(serviceName);
  spliceHistoryBytes(methods);
  for (const method of methods) {
    const handler = handlers[method.name];
    const unimplementedError = unimplemented(`${serviceName.split('.').pop()}.${method.name}`).toCallError();
    server.add(method.path, {
      decode: method.decodeRequest,
      encode: method.encodeResponse as (response: unknown) => Buffer,
      handle: async (request, call) => {
        if (!handler) throw unimplementedError;
        const decodeError = (request as Record<symbol, string>)[DECODE_ERROR];
        if (decodeError) throw invalidArgument(decodeError).toCallError();
        try {
          return await handler(request as Msg, call);
        } catch (err) {
          if (err instanceof GrpcError) throw err.toCallError();
          const id = randomUUID();
          log(`internal error in ${method.name} (${id}): ${(err as Error)?.stack ?? String(err)}`);
          throw { code: Status.INTERNAL, details: `internal error ${id}: ${(err as Error)?.message ?? String(err)}` } satisfies CallError;
        }
      },
    });
  }
}
