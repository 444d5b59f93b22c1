// `stratus dashboard`: a fastify server rendering the pages from workflow queries, the same data
// as JSON under /api/, the public download page under /site/, the audit of each entity under
// /audit/<workflowId>, the demo mailbox, and — only with an operator's own token — POST actions
// sent as updates with the client identity `dashboard:<login>` of the operator the token names.
import { Client, type Connection } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { type PublishImageInput, type StreamFeed, nameProblem } from '../workflows/image-types.js';
import { IMAGE_STREAM, streamWorkflowId } from '../workflows/image-stream-model.js';
import { InvalidNameError, validateVersion } from '../workflows/release-names.js';
import { releaseWorkflowId } from '../workflows/release-train-types.js';
import { AUDIT_WORKFLOW_ID, loadAudit } from './audit-load.js';
import { type AuditPageData, renderAuditPage } from './audit-page.js';
import { checkBearer, type OperatorEntry } from './auth.js';
import { type Mailbox, renderMailboxPage } from './mailbox-page.js';
import { approveUpdate } from '../workflows/release-train-api.js';
import { renderDownloadPage } from './download-page.js';
import { renderImagesPage } from './images-page.js';
import { type PageContext, SCRIPT_CSP } from './layout.js';
import { renderLifecyclePage } from './lifecycle-page.js';
import { describeError, loadImages, loadLifecycle, loadReleases, setDeadline } from './model.js';
import { renderReleasesPage } from './releases-page.js';

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** A client connection (may be lazy: pages say "Temporal unreachable" while it cannot connect). */
  connection: Connection;
  namespace: string;
  /** Shown in the "unreachable" banner. */
  temporalAddress: string;
  /** The operators (login and sha256 of their token); none: read-only (no buttons, every POST refused). */
  operators?: readonly OperatorEntry[];
  /** The first-run demo's local mailbox (the /mailbox page). */
  mailbox?: Mailbox;
  /** The image site directory (files under /site/), when images are configured. */
  siteDir?: string;
  siteTitle?: string;
  /** How long a page waits for Temporal before it says "unreachable" (default 4 s). */
  deadlineMs?: number;
  /** Clock for timelines (tests); default Date.now. */
  now?: () => number;
}

const SWEEP_ID = /^lifecycle-sweep-[0-9A-Za-z-]{1,64}$/;
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src ${SCRIPT_CSP}; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.xml': 'application/xml', '.txt': 'text/plain; charset=utf-8' };

class ActionError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The fastify app (not listening yet). */
export function createDashboard(options: DashboardOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  const reader = new Client({ connection: options.connection, namespace: options.namespace, identity: 'dashboard' });
  if (options.deadlineMs !== undefined) setDeadline(reader, options.deadlineMs);
  const operators = options.operators ?? [];
  const ctx = (): PageContext => ({ actions: operators.length > 0, mailbox: options.mailbox !== undefined, now: (options.now ?? Date.now)(), temporalAddress: options.temporalAddress });
  const html = (reply: FastifyReply, body: string) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(body);

  app.setErrorHandler((error: Error & { statusCode?: number }, _req, reply) => {
    const status = error instanceof ActionError ? error.status : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    void reply.status(status).send({ ok: false, error: status >= 500 ? `dashboard error: ${describeError(error)}` : error.message });
  });

  app.get('/', (_req, reply) => reply.redirect('/releases'));
  app.get('/releases', async (_req, reply) => html(reply, renderReleasesPage(await loadReleases(reader), ctx())));
  app.get('/images', async (_req, reply) => html(reply, renderImagesPage(await loadImages(reader), ctx())));
  app.get('/lifecycle', async (req, reply) => html(reply, renderLifecyclePage(await loadLifecycle(reader), ctx(), req.query as Record<string, unknown>)));
  app.get('/api/releases', async () => loadReleases(reader));
  app.get('/api/images', async () => loadImages(reader));
  app.get('/api/lifecycle', async () => loadLifecycle(reader));
  app.get('/mailbox', (_req, reply) => html(reply, renderMailboxPage(options.mailbox, ctx())));
  app.get('/api/mailbox', () => ({ messages: options.mailbox?.messages() ?? [] }));

  const audit = async (workflowId: string): Promise<AuditPageData> => {
    try {
      return { kind: 'ok', view: await loadAudit(reader, workflowId) };
    } catch (error) {
      if ((error as Error).name === 'WorkflowNotFoundError') return { kind: 'not-found', workflowId };
      return { kind: 'unreachable', workflowId, error: describeError(error) };
    }
  };
  const auditId = (req: FastifyRequest): string => {
    const { workflowId } = req.params as { workflowId: string };
    if (!AUDIT_WORKFLOW_ID.test(workflowId)) throw new ActionError(400, `workflowId: ${JSON.stringify(workflowId.slice(0, 80))} is not a workflow id such as release-v31, image-stream-demo or lifecycle`);
    return workflowId;
  };
  app.get('/audit/:workflowId', async (req, reply) => {
    const data = await audit(auditId(req));
    return html(reply.status(data.kind === 'not-found' ? 404 : 200), renderAuditPage(data, ctx()));
  });
  app.get('/api/audit/:workflowId', async (req, reply) => {
    const data = await audit(auditId(req));
    if (data.kind === 'ok') return data.view;
    return reply.status(data.kind === 'not-found' ? 404 : 503).send({ ok: false, error: data.kind === 'not-found' ? `there is no workflow ${data.workflowId}` : data.error });
  });

  app.get('/site/', async (_req, reply) => {
    const view = await loadImages(reader);
    const feeds = view.streams.flatMap((s) => (s.status ? [feedOf(s.status.page)] : []));
    return html(reply, renderDownloadPage({ feeds, title: options.siteTitle }));
  });
  app.get('/site/*', async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    if (!options.siteDir) return reply.status(404).send({ ok: false, error: 'no image site is configured' });
    const root = resolve(options.siteDir);
    const file = resolve(root, rel);
    if (!file.startsWith(root + sep)) return reply.status(404).send({ ok: false, error: 'not found' });
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return reply.status(404).send({ ok: false, error: `${rel} is not on the site` });
    return reply.header('content-type', TYPES[extname(file)] ?? 'application/octet-stream').header('x-content-type-options', 'nosniff').send(createReadStream(file));
  });

  // Actions: POST only, bearer token checked before the body is even parsed; the login the token
  // names is the only name an action is recorded under.
  const logins = new WeakMap<FastifyRequest, string>();
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    if (operators.length === 0) return reply.status(403).send({ ok: false, error: 'actions are disabled: start the dashboard with operators (--operators-file, dashboard.operatorsFile or STRATUS_DASHBOARD_OPERATORS)' });
    const check = checkBearer(req.headers.authorization, operators);
    if (!check.ok) return reply.status(check.status).send({ ok: false, error: check.message });
    logins.set(req, check.login);
  };
  const actor = (req: FastifyRequest) => {
    const who = logins.get(req);
    if (who === undefined) throw new ActionError(401, 'this action needs your operator token');
    return { who, client: new Client({ connection: options.connection, namespace: options.namespace, identity: `dashboard:${who}` }) };
  };
  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const e = error as { name?: string; cause?: { message?: string } };
      if (e.name === 'WorkflowNotFoundError') throw new ActionError(404, `${what} is not running`);
      if (e.name === 'WorkflowUpdateFailedError') throw new ActionError(409, e.cause?.message ?? describeError(error));
      throw new ActionError(503, `Temporal unreachable or refused: ${describeError(error)}`);
    }
  };
  const version = (req: FastifyRequest): number => {
    try {
      return validateVersion((req.params as { version: string }).version);
    } catch (error) {
      if (error instanceof InvalidNameError) throw new ActionError(400, error.message);
      throw error;
    }
  };

  for (const name of ['approve', 'advance'] as const) {
    app.post(`/api/releases/:version/${name}`, { onRequest: guard }, async (req) => {
      const v = version(req);
      const { who, client } = actor(req);
      const handle = client.workflow.getHandle(releaseWorkflowId(v));
      // approve carries the operator as the approver (checked for admin on GitHub by the train)
      const result = await run(releaseWorkflowId(v), () => (name === 'approve' ? handle.executeUpdate(approveUpdate, { args: [{ approver: who }] }) : handle.executeUpdate<unknown, []>(name)));
      const message = name === 'approve' ? String(result) : result ? `v${v} now in "${(result as { name: string }).name}"` : `v${v} is past its last phase`;
      return { ok: true, action: name, workflowId: releaseWorkflowId(v), by: `dashboard:${who}`, message, result };
    });
  }

  app.post('/api/images/:stream/revoke', { onRequest: guard }, async (req) => {
    const { stream } = req.params as { stream: string };
    const problem = nameProblem('stream', stream);
    if (problem) throw new ActionError(400, problem);
    const body = (req.body ?? {}) as { imageId?: unknown; reason?: unknown };
    const idProblem = nameProblem('imageId', body.imageId);
    if (idProblem) throw new ActionError(400, idProblem);
    if (typeof body.reason !== 'string' || !body.reason.trim() || body.reason.length > 500) throw new ActionError(400, 'reason: say why the image is revoked (1 to 500 characters)');
    const { who, client } = actor(req);
    const reason = `${body.reason.trim()} (by dashboard:${who})`;
    const result = await run(`stream ${stream}`, () =>
      client.workflow.getHandle(streamWorkflowId(stream)).executeUpdate<{ imageId: string; published: string | null; warning: string }, [{ imageId: string; reason: string }]>(
        IMAGE_STREAM.revokeUpdate, { args: [{ imageId: body.imageId as string, reason }] }));
    return { ok: true, action: 'revoke', stream, by: `dashboard:${who}`, message: `${result.imageId} revoked; published now: ${result.published ?? 'none'}`, result };
  });

  app.post('/api/lifecycle/sweeps/:sweepId/approve', { onRequest: guard }, async (req) => {
    const { sweepId } = req.params as { sweepId: string };
    if (!SWEEP_ID.test(sweepId)) throw new ActionError(400, `sweepId: ${JSON.stringify(sweepId.slice(0, 80))} is not a sweep id such as lifecycle-sweep-20250301`);
    const { who, client } = actor(req);
    const result = await run(`sweep ${sweepId}`, () =>
      client.workflow.getHandle(sweepId).executeUpdate<{ approvedBy: string }, [{ by: string }]>('approve', { args: [{ by: `dashboard:${who}` }] }));
    return { ok: true, action: 'approve', sweepId, by: result.approvedBy, message: `${sweepId} approved by ${result.approvedBy}` };
  });

  app.post('/api/lifecycle/exempt', { onRequest: guard }, async (req) => {
    const body = (req.body ?? {}) as { resourceId?: unknown; until?: unknown; reason?: unknown };
    const resourceId = typeof body.resourceId === 'string' ? body.resourceId.trim() : '';
    if (!RESOURCE_ID.test(resourceId)) throw new ActionError(400, `resourceId: ${JSON.stringify(String(body.resourceId ?? '').slice(0, 80))} is not a resource or project id`);
    const until = typeof body.until === 'string' ? body.until.trim() : '';
    if (!DAY.test(until) || Number.isNaN(Date.parse(`${until}T00:00:00Z`)) || new Date(`${until}T00:00:00Z`).toISOString().slice(0, 10) !== until) {
      throw new ActionError(400, `until: must be a date YYYY-MM-DD, got ${JSON.stringify(String(body.until ?? '').slice(0, 40))}`);
    }
    if (typeof body.reason !== 'string' || !body.reason.trim() || body.reason.length > 500) throw new ActionError(400, 'reason: say why the resource is kept (1 to 500 characters)');
    const { who, client } = actor(req);
    const result = await run('the lifecycle workflow (lifecycle)', () =>
      client.workflow.getHandle('lifecycle').executeUpdate<{ id: string; until: string; reason: string }, [{ resourceId: string; until: string; reason: string }]>(
        'exempt', { args: [{ resourceId, until, reason: (body.reason as string).trim() }] }));
    return { ok: true, action: 'exempt', by: `dashboard:${who}`, message: `${result.id} is exempt until ${result.until}`, result };
  });

  return app;
}

/** What the download page shows for a stream, from its `status.page` (the feed the site writer would write). */
export function feedOf(page: PublishImageInput): StreamFeed {
  const image = page.image;
  const warnings = (page.warnings ?? []).filter((w) => w.trim() !== '');
  return {
    stream: page.stream,
    published: image
      ? {
          id: image.id, date: image.startedAt, baseRelease: image.baseRelease, status: 'published', glanceImageId: image.glanceImageId ?? null,
          files: image.artifacts.map((a) => ({ file: a.name, path: `${page.stream}/${image.id}/${a.name}`, url: null, sha256: a.sha256, size: a.size, kind: a.kind })),
        }
      : null,
    stale: page.stale ?? false,
    revoked: page.revoked ?? [],
    warning: warnings.length ? warnings.join(' ') : null,
    warnings,
    trackerUrl: page.trackerUrl ?? null,
    revokedNotice: page.revokedNotice ?? null,
  };
}

/** Starts the dashboard on host:port; resolves with its URL and a close function. */
export async function startDashboard(options: DashboardOptions & { host: string; port: number }): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const app = createDashboard(options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}
