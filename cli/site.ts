// `stratus site build --out DIR`: regenerates the download site from the streams' current state
// (their `status` query), copying each published image's files from the build work dir.
import { type Command } from 'commander';
import { resolve } from 'node:path';
import { resolveConfigPath } from '../config/load.js';
import { type StreamStatus, IMAGE_STREAM as N, streamWorkflowId } from '../workflows/image-stream-model.js';
import { explain, withImageClient } from './image.js';
import { loadCommandConfig, outputFor } from './context.js';
import { CliError, type CliIo, EXIT_USAGE } from './output.js';

export function registerSiteCommands(program: Command, io: CliIo): void {
  program
    .command('site')
    .description('the image download site')
    .command('build')
    .description('regenerate the download page and feeds from the streams\' current state')
    .option('--out <dir>', 'where to write the site (default: images.site.outDir)')
    .action(async (opts: { out?: string }, command: Command) => {
      const out = outputFor(command, io);
      const loaded = loadCommandConfig(command, io, true);
      const images = loaded.config.images;
      if (!images) throw new CliError(`${loaded.file}: no images: section, so there is no stream to put on a site`, EXIT_USAGE);
      const siteDir = opts.out !== undefined ? resolve(io.cwd, opts.out) : resolveConfigPath(loaded, images.site.outDir);
      const { createImageActivities } = await import('../activities/images.js');
      const { createCommandRunner } = await import('../clients/command-runner.js');
      const { createSiteWriter } = await import('../clients/site.js');
      const writer = createImageActivities({
        runner: createCommandRunner(),
        site: createSiteWriter({ siteDir }),
        workDir: resolveConfigPath(loaded, images.workDir),
        siteBaseUrl: images.site.baseUrl,
        pageTitle: images.site.title,
      });
      const streams = await withImageClient(command, io, async (client) => {
        const written: { stream: string; published: string | null; stale: boolean }[] = [];
        for (const { name } of images.streams) {
          let status: StreamStatus;
          try {
            status = await client.workflow.getHandle(streamWorkflowId(name)).query<StreamStatus>(N.statusQuery);
          } catch (error) {
            throw explain(error, name);
          }
          try {
            await writer.publishImage(status.page);
          } catch (error) {
            throw new CliError(`stream "${name}": ${(error as Error).message}`);
          }
          written.push({ stream: name, published: status.published?.id ?? null, stale: status.stale });
        }
        return written;
      });
      out.result(
        { ok: true, out: siteDir, streams },
        [`wrote ${siteDir}/index.html`, ...streams.map((s) => `  ${s.stream}: ${s.published ?? 'no image'}${s.stale ? ' (stale)' : ''}`)].join('\n'),
      );
    });
}
