// `stratus image …`: talk to a stream's entity workflow (`image-stream-<name>`) — updates for
// decisions (build, fail, revoke, publish, pause, resume), queries for reads (list, status).
// Streams are started by the worker (`stratus worker` / `stratus dev`), never by these commands.
import { type Client } from '@temporalio/client';
import { type Command, Option } from 'commander';
import { type BuildListEntry, type StreamStatus, IMAGE_STREAM as N, streamOfImageId, streamWorkflowId } from '../workflows/image-stream-model.js';
import { nameProblem } from '../workflows/image-types.js';
import { clientTarget } from './dev-state.js';
import { clientIdentity, loadCommandConfig, outputFor } from './context.js';
import { CliError, type CliIo, EXIT_FAILURE, EXIT_USAGE } from './output.js';

/** Update rejections that mean "you typed something wrong" (exit 2); the rest are refusals (exit 1). */
const USAGE_CODES = new Set(['InvalidImageId', 'InvalidRef', 'MissingReason']);

/** Opens a Temporal client from the config and environment, runs `fn`, closes the connection. */
export async function withImageClient<T>(command: Command, io: CliIo, fn: (client: Client) => Promise<T>): Promise<T> {
  const loaded = loadCommandConfig(command, io, true);
  const identity = clientIdentity(command, io);
  const { connectClient, requireAddress } = await import('../workers/index.js');
  const { Client } = await import('@temporalio/client');
  const target = await clientTarget(loaded, io);
  requireAddress(target);
  const connection = await connectClient(target);
  try {
    return await fn(new Client({ connection, namespace: target.namespace, identity }));
  } finally {
    await connection.close();
  }
}

/** The stream's workflow name, checked before it goes anywhere. */
export function checkStream(stream: string): string {
  const problem = nameProblem('stream', stream);
  if (problem) throw new CliError(problem, EXIT_USAGE);
  return stream;
}

function streamOf(imageId: string): string {
  const problem = nameProblem('imageId', imageId);
  const stream = problem ? null : streamOfImageId(imageId);
  if (!stream) throw new CliError(problem ?? `imageId "${imageId}" is not an image id of the form <stream>-<YYYYMMDD>.<n>`, EXIT_USAGE);
  return stream;
}

/** A CLI error for what Temporal answered: stream not running, or the workflow's own message. */
export function explain(error: unknown, stream: string): unknown {
  const e = error as Error & { cause?: Error & { type?: string } };
  if (e?.name === 'WorkflowNotFoundError') {
    return new CliError(
      `stream "${stream}" is not running (no workflow ${streamWorkflowId(stream)}): list it under images.streams and start \`stratus worker\` or \`stratus dev\``,
    );
  }
  if (e?.name === 'WorkflowUpdateFailedError' && e.cause) {
    return new CliError(e.cause.message, USAGE_CODES.has(e.cause.type ?? '') ? EXIT_USAGE : EXIT_FAILURE);
  }
  return error;
}

async function onStream<T>(command: Command, io: CliIo, stream: string, fn: (client: Client, workflowId: string) => Promise<T>): Promise<T> {
  return withImageClient(command, io, async (client) => {
    try {
      return await fn(client, streamWorkflowId(stream));
    } catch (error) {
      throw explain(error, stream);
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isTty = (io: CliIo): boolean => (io.stdout as { isTTY?: boolean }).isTTY === true;

export function registerImageCommands(program: Command, io: CliIo): void {
  const image = program.command('image').description('image pipeline: builds, verdicts and publishing of an image stream');

  image
    .command('build <stream>')
    .description('start a build now (what CI runs); prints the image id')
    .option('--ref <ref>', 'source ref passed to the build as STRATUS_REF')
    .option('--wait', 'wait for the verdict: exit 0 when the image passed, 1 when it failed')
    .addOption(new Option('--poll <ms>', 'how often --wait asks the stream').default(1000).argParser(Number).hideHelp())
    .action(async (stream: string, opts: { ref?: string; wait?: boolean; poll: number }, command: Command) => {
      const out = outputFor(command, io);
      checkStream(stream);
      await onStream(command, io, stream, async (client, workflowId) => {
        const handle = client.workflow.getHandle(workflowId);
        const { imageId } = await handle.executeUpdate<{ imageId: string; queuedBehind: number }, [{ ref?: string }]>(N.buildUpdate, {
          args: [opts.ref === undefined ? {} : { ref: opts.ref }],
        });
        if (!opts.wait) return out.result({ imageId, stream }, imageId);
        out.event('build', { imageId, stream }, imageId);
        const started = Date.now();
        let last = '';
        for (;;) {
          const [s, builds] = await Promise.all([handle.query<StreamStatus>(N.statusQuery), handle.query<BuildListEntry[]>(N.listQuery)]);
          const build = builds.find((b) => b.id === imageId);
          if (!build) throw new CliError(`image ${imageId} is no longer remembered by stream "${stream}"`);
          if (build.status !== 'building') {
            if (build.status === 'failed' || build.status === 'failed-manually' || build.status === 'revoked') {
              throw new CliError(`image ${imageId} ${build.status === 'revoked' ? 'was revoked' : 'failed'}: ${build.reason ?? 'no reason given'}`);
            }
            return out.result({ ok: true, ...build }, `${imageId} ${build.status}`);
          }
          const phase = s.running === imageId ? 'building' : 'queued';
          if (phase !== last && isTty(io) && !out.json) io.stdout.write(`${imageId}: ${phase} (${Math.round((Date.now() - started) / 1000)}s)\n`);
          last = phase;
          await sleep(opts.poll);
        }
      });
    });

  for (const [name, description] of [['fail', 'mark an image failed by hand'], ['revoke', 'revoke a published image: the page falls back to the newest earlier good image']] as const) {
    image
      .command(`${name} <imageId>`)
      .description(description)
      .requiredOption('--reason <text>', 'why, in words for the people reading the page and the history')
      .action(async (imageId: string, opts: { reason: string }, command: Command) => {
        const out = outputFor(command, io);
        const stream = streamOf(imageId);
        if (opts.reason.trim() === '') throw new CliError('--reason must not be empty', EXIT_USAGE);
        await onStream(command, io, stream, async (client, workflowId) => {
          const handle = client.workflow.getHandle(workflowId);
          if (name === 'fail') {
            const build = await handle.executeUpdate<BuildListEntry, [{ imageId: string; reason: string }]>(N.failUpdate, { args: [{ imageId, reason: opts.reason }] });
            out.result({ ok: true, ...build }, `${imageId} ${build.status}: ${build.reason ?? ''}`);
          } else {
            const r = await handle.executeUpdate<{ imageId: string; published: string | null; warning: string }, [{ imageId: string; reason: string }]>(
              N.revokeUpdate, { args: [{ imageId, reason: opts.reason }] });
            out.result({ ok: true, ...r }, `${imageId} revoked. ${r.warning}`);
          }
        });
      });
  }

  image
    .command('publish <stream>')
    .description('publish the newest image that passed since the last publish, now')
    .action(async (stream: string, _opts: unknown, command: Command) => {
      const out = outputFor(command, io);
      checkStream(stream);
      await onStream(command, io, stream, async (client, workflowId) => {
        const r = await client.workflow.getHandle(workflowId).executeUpdate<{ published: string }, []>(N.publishUpdate, { args: [] });
        out.result({ ok: true, stream, ...r }, `published ${r.published}`);
      });
    });

  for (const [name, description] of [['pause', 'stop nightly builds and publishing of a stream'], ['resume', 'resume a paused stream']] as const) {
    image
      .command(`${name} <stream>`)
      .description(description)
      .action(async (stream: string, _opts: unknown, command: Command) => {
        const out = outputFor(command, io);
        checkStream(stream);
        await onStream(command, io, stream, async (client, workflowId) => {
          const r = await client.workflow.getHandle(workflowId).executeUpdate<{ paused: boolean; changed: boolean }, []>(name === 'pause' ? N.pauseUpdate : N.resumeUpdate, { args: [] });
          out.result({ ok: true, stream, ...r }, `${stream} ${r.paused ? 'paused' : 'running'}${r.changed ? '' : ' (no change)'}`);
        });
      });
  }

  image
    .command('list <stream>')
    .description('the builds the stream remembers, oldest first (--json: one array)')
    .action(async (stream: string, _opts: unknown, command: Command) => {
      const out = outputFor(command, io);
      checkStream(stream);
      const builds = await onStream(command, io, stream, (client, workflowId) => client.workflow.getHandle(workflowId).query<BuildListEntry[]>(N.listQuery));
      if (out.json) io.stdout.write(`${JSON.stringify(builds)}\n`);
      else if (builds.length === 0) io.stdout.write(`no builds of ${stream} yet\n`);
      else {
        for (const b of builds) {
          const tests = b.tests.map((t) => `${t.name}:${t.passed ? 'ok' : t.advisory ? 'warn' : 'FAIL'}`).join(' ');
          io.stdout.write(`${b.id}  ${b.status.padEnd(15)} ${b.date.slice(0, 16)}  ${tests}${b.reason ? `  (${b.reason})` : ''}\n`);
        }
      }
    });

  image
    .command('status <stream>')
    .description('published image, stale flag, tracker link, cycle deadline, paused, running build')
    .action(async (stream: string, _opts: unknown, command: Command) => {
      const out = outputFor(command, io);
      checkStream(stream);
      const s = await onStream(command, io, stream, (client, workflowId) => client.workflow.getHandle(workflowId).query<StreamStatus>(N.statusQuery));
      const { page: _page, ...shown } = s;
      const lines = [
        `stream     ${s.stream}${s.paused ? ' (paused)' : ''}`,
        `published  ${s.published ? `${s.published.id} (built ${s.published.date.slice(0, 10)})` : 'none'}${s.stale ? ' STALE' : ''}`,
        `deadline   ${s.deadline} (onNoPass ${s.onNoPass}${s.rebuildUntilPass ? ', rebuilding until a pass' : ''})`,
        `nightly    ${s.nextNightly}`,
        `running    ${s.running ?? 'nothing'}${s.queued.length ? `, queued: ${s.queued.join(', ')}` : ''}`,
        ...(s.trackerUrl ? [`tracker    ${s.trackerUrl}`] : []),
        ...s.warnings.map((w) => `warning    ${w}`),
      ];
      out.result(shown, lines.join('\n'));
    });
}
