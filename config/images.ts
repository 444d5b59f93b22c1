// The `images:` section of stratus.yaml: the download site and the image streams (build and test
// commands, nightly time, publish interval, what to do when nothing passed, tracker, Glance).
import { z } from 'zod';
import { parseDuration, parseTimeOfDay } from '../workflows/release-calendar.js';
import { type ImageStreamSettings, STREAM_NAME_RE } from '../workflows/image-types.js';

/** Runs a throwing parser as a refinement; drops its `field: ` prefix (the issue path names the field). */
function via(check: (value: string) => unknown) {
  return (value: string, ctx: z.RefinementCtx): void => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error instanceof Error ? error.message : String(error)).replace(/^[\w.]+: /, '') });
    }
  };
}

const duration = z.string({ error: 'must be a duration such as 20m, 2h or 14d' }).superRefine(via((v) => parseDuration(v, 'duration')));

const command = z
  .array(z.string({ error: 'each argument must be a string' }).refine((a) => !a.includes('\0'), { error: 'arguments must not contain NUL bytes' }), {
    error: 'must be a list of strings: the program and its arguments (no shell), e.g. ["./build-image.sh", "--compose", "nightly"]',
  })
  .min(1, { error: 'must name at least the program to run' })
  .refine((c) => c[0] !== '', { error: 'the program (first item) must not be empty' });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const testSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: (issue) => `test name must be letters, digits, ".", "_" or "-", got ${JSON.stringify(issue.input)}`,
  }),
  command,
  /** Default 30m. */
  timeout: duration.default('30m'),
  /** An advisory test may fail without failing the image. */
  advisory: z.boolean({ error: 'must be true or false' }).default(false),
});

const trackerLabel = z.string().trim().min(1, { error: 'must not be empty' }).max(100);

const trackerSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('jira'),
      project: z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/, { error: 'must be a JIRA project key such as ATMO' }),
      label: trackerLabel.optional(),
      /** Issue type of filed bugs (default "Bug"). */
      issueType: z.string().trim().min(1, { error: 'must not be empty' }).max(60).optional(),
      /** Components every filed bug gets, for projects that require them on create. */
      components: z.array(z.string().trim().min(1, { error: 'must not be empty' }).max(255)).min(1, { error: 'must name at least one component' }).optional(),
    }),
    z.strictObject({
      kind: z.literal('github'),
      repo: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, { error: 'must be "owner/name", e.g. fedora/atomic-host' }),
      label: trackerLabel.optional(),
    }),
  ],
  { error: 'must be "jira" or "github" (or leave tracker out)' },
);

const glanceSchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }),
  /** Glance visibility of uploaded images (default private). */
  visibility: z.enum(['private', 'shared', 'community', 'public'], { error: 'must be one of private, shared, community, public' }).default('private'),
  /** What a revoke does to the Glance copy: deactivate it (needs the admin role under Glance's default policy) or keep it. */
  onRevoke: z.enum(['deactivate', 'keep'], { error: 'must be deactivate or keep' }).default('deactivate'),
});

const streamSchema = z
  .strictObject({
    name: z.string({ error: 'must be a string' }).regex(STREAM_NAME_RE, {
      error: (issue) => `stream name must be lowercase letters, digits and "-" (it becomes a directory and a workflow id), got ${JSON.stringify(issue.input)}`,
    }),
    /** The base release the image is built from, e.g. `fedora-42`. */
    base: z.string({ error: 'must be a string, e.g. fedora-42' }).trim().min(1, { error: 'must not be empty' }).max(100),
    /** Time of the nightly build, HH:MM in UTC. */
    nightlyAt: z.string({ error: 'must be HH:MM in UTC, e.g. "02:00" (quote it in YAML)' }).superRefine(via((v) => parseTimeOfDay(v, 'nightlyAt'))).default('02:00'),
    publishEvery: duration.default('14d'),
    onNoPass: z.enum(['skip', 'rebuild-until-pass'], { error: 'must be "skip" or "rebuild-until-pass"' }).default('skip'),
    build: z.strictObject({
      command,
      /** Default 2h. */
      timeout: duration.default('2h'),
      /** Extra environment for the build (e.g. a compose name); never put secrets here. */
      env: z.record(z.string().regex(ENV_NAME, { error: 'must be an environment variable name' }), z.string()).optional(),
    }),
    tests: z.array(testSchema, { error: 'must be a list of tests' }).default([]),
    /** Recent builds remembered across continue-as-new (published and last good ones are always kept). */
    keepBuilds: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(1000, { error: 'must be at most 1000' }).default(30),
    tracker: trackerSchema.optional(),
    glance: glanceSchema.optional(),
    /** How soon work of a dead worker is retried: build/test command heartbeat (default 1m), publish start-to-close (default 30m). */
    timeouts: z.strictObject({ heartbeat: duration.optional(), publish: duration.optional() }).optional(),
  })
  .superRefine((stream, ctx) => {
    const seen = new Set<string>();
    stream.tests.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tests', i, 'name'], message: `duplicate test name "${t.name}"` });
      seen.add(t.name);
    });
  });

/** The `images:` section (strict at every level: unknown keys are errors). Durations stay strings; see {@link imageStreamSettings}. */
export const imagesConfigSchema = z
  .strictObject({
    site: z.strictObject({
      /** Directory the download site is written to (relative to the config file). */
      outDir: z.string({ error: 'must be a directory path' }).trim().min(1, { error: 'must not be empty' }),
      /** Public URL the site is served at, for absolute links in the feeds. */
      baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://images.example.org' }).optional(),
      /** Page title. */
      title: z.string().trim().min(1).max(200).optional(),
    }),
    /** Where builds write their output (relative to the config file). */
    workDir: z.string().trim().min(1, { error: 'must not be empty' }).default('.stratus/images'),
    streams: z.array(streamSchema, { error: 'must be a list of streams' }).min(1, { error: 'must list at least one stream' }),
    /** URLs that receive every stream's state changes as CloudEvents 1.0 JSON (POST). Treated as secrets: never logged. */
    webhooks: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }), { error: 'must be a list of URLs' }).default([]),
  })
  .superRefine((images, ctx) => {
    const seen = new Set<string>();
    images.streams.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['streams', i, 'name'], message: `duplicate stream name "${s.name}"` });
      seen.add(s.name);
    });
  });

/** A parsed `images:` section. */
export type ImagesConfig = z.infer<typeof imagesConfigSchema>;
/** One parsed stream of the `images:` section. */
export type ImageStreamConfig = ImagesConfig['streams'][number];

/** The plain-JSON settings an `image-stream` workflow gets for a configured stream (durations in ms). */
export function imageStreamSettings(stream: ImageStreamConfig): ImageStreamSettings {
  return {
    name: stream.name,
    baseRelease: stream.base,
    nightlyAtMs: parseTimeOfDay(stream.nightlyAt),
    publishEveryMs: parseDuration(stream.publishEvery),
    onNoPass: stream.onNoPass,
    build: { command: [...stream.build.command], timeoutMs: parseDuration(stream.build.timeout), env: { ...stream.build.env } },
    tests: stream.tests.map((t) => ({ name: t.name, command: [...t.command], advisory: t.advisory, timeoutMs: parseDuration(t.timeout) })),
    keepBuilds: stream.keepBuilds,
    tracker: stream.tracker ? { ...stream.tracker } : null,
    glance: stream.glance?.enabled ? { visibility: stream.glance.visibility, onRevoke: stream.glance.onRevoke } : null,
    ...(stream.timeouts ? {
      activityTimeouts: {
        ...(stream.timeouts.heartbeat ? { heartbeatMs: parseDuration(stream.timeouts.heartbeat) } : {}),
        ...(stream.timeouts.publish ? { publishMs: parseDuration(stream.timeouts.publish) } : {}),
      },
    } : {}),
  };
}
