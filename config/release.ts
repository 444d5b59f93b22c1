// The `release:` section of stratus.yaml: the release train's repos, calendar, tag message,
// and the optional GitHub and JIRA connections (credentials only by environment-variable name).
import { z } from 'zod';
import { DEFAULT_SPRINTS, type TrickleDownCadence, parseDuration, parseTimeOfDay } from '../workflows/release-calendar.js';
import { validateRefName, validateTagMessageTemplate } from '../workflows/release-names.js';

/** Runs a throwing validator as a zod refinement, reporting its message on this field. */
function via(check: (value: string) => unknown) {
  return (value: string, ctx: z.RefinementCtx): void => {
    try {
      check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  };
}

/** Names that become directory names of the mirror cache: letters, digits, `.`, `_`, `-`. */
export const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const GITHUB_REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const sprintSchema = z.strictObject({
  name: z.string().trim().min(1, { error: 'sprint name must not be empty' }),
  length: z.string().superRefine(via((v) => parseDuration(v, 'length'))),
  focus: z.enum(['bugs', 'features', 'release'], { error: 'focus must be one of "bugs", "features", "release"' }),
});

const repoSchema = z.strictObject({
  name: z.string().regex(REPO_NAME, {
    error: (issue) => `repo name must be letters, digits, ".", "_" or "-" (and not start with "." or "-"), got ${JSON.stringify(issue.input)}`,
  }).refine((n) => n !== '.' && n !== '..' && !n.endsWith('.lock'), { error: 'repo name must not be "." / ".." or end with ".lock"' }),
  /** Any git URL: a local path, `file://`, `https://`, `ssh://` or `user@host:path`. */
  url: z.string().trim().min(1, { error: 'url must not be empty' }).refine((u) => !u.startsWith('-'), { error: 'url must not start with "-"' }),
  target: z.enum(['release-branch', 'master'], {
    error: (issue) => `target must be "release-branch" or "master", got ${JSON.stringify(issue.input)}`,
  }),
  github: z.string().regex(GITHUB_REPO, {
    error: (issue) => `github must be "owner/repo" (e.g. cyverse/atmosphere), got ${JSON.stringify(issue.input)}`,
  }).optional(),
});

const jiraSchema = z.strictObject({
  url: z.url({ error: 'jira.url must be an http(s) URL' }),
  project: z.string().regex(/^[A-Z][A-Z0-9_]{1,9}$/, { error: 'jira.project must be a JIRA project key such as ATMO' }),
  /** The agile board (id) the sprints are created on. */
  board: z.number().int().positive().optional(),
  /**
   * Jira Cloud or Data Center/Server; `auto` asks `/rest/api/2/serverInfo` (`deploymentType`).
   * Cloud authenticates Basic `<userEnv>:<tokenEnv>` (account e-mail + API token); Data Center a
   * Bearer personal access token from `tokenEnv`.
   */
  deployment: z.enum(['cloud', 'datacenter', 'auto'], {
    error: (issue) => `jira.deployment must be "cloud", "datacenter" or "auto", got ${JSON.stringify(issue.input)}`,
  }).default('auto'),
  /** Names of the environment variables holding the Cloud account e-mail and the API token / PAT (never the values). */
  userEnv: z.string().regex(ENV_NAME, { error: 'jira.userEnv must be an environment variable name' }).default('JIRA_USER'),
  tokenEnv: z.string().regex(ENV_NAME, { error: 'jira.tokenEnv must be an environment variable name' }).default('JIRA_TOKEN'),
});

/** A GitHub App installation instead of a token: app id, the private key by env-var name or file, the installation. */
const githubAppSchema = z.strictObject({
  appId: z.number({ error: 'github.app.appId must be the App\'s numeric id' }).int().positive({ error: 'github.app.appId must be a positive integer' }),
  privateKeyEnv: z.string().regex(ENV_NAME, { error: 'github.app.privateKeyEnv must be an environment variable name' }).optional(),
  /** Path of the PEM file (relative to the config file). */
  privateKeyFile: z.string().trim().min(1, { error: 'github.app.privateKeyFile must not be empty' }).optional(),
  /** Default: looked up from the first repository with a `github:` name. */
  installationId: z.number({ error: 'github.app.installationId must be a number' }).int().positive({ error: 'github.app.installationId must be a positive integer' }).optional(),
}).superRefine((app, ctx) => {
  if ((app.privateKeyEnv === undefined) === (app.privateKeyFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['privateKeyEnv'], message: 'github.app needs exactly one of privateKeyEnv or privateKeyFile' });
  }
});

const githubSchema = z.strictObject({
  tokenEnv: z.string().regex(ENV_NAME, { error: 'github.tokenEnv must be an environment variable name' }).default('GITHUB_TOKEN'),
  apiUrl: z.url({ error: 'github.apiUrl must be an http(s) URL' }).default('https://api.github.com'),
  /** Authenticate as a GitHub App installation (then tokenEnv is not used). */
  app: githubAppSchema.optional(),
});

/** The `release:` section (strict: unknown keys are errors). */
export const releaseConfigSchema = z.strictObject({
  masterBranch: z.string().superRefine(via((v) => validateRefName(v, 'masterBranch'))).default('master'),
  sprints: z
    .array(sprintSchema)
    .min(1, { error: 'sprints needs at least one sprint' })
    .default(() => DEFAULT_SPRINTS.map((s) => ({ ...s, focus: s.focus as 'bugs' | 'features' | 'release' }))),
  trickleDown: z.enum(['weekdays', 'daily', 'weekly', 'never'] satisfies TrickleDownCadence[], {
    error: (issue) => `trickleDown must be one of weekdays, daily, weekly, never, got ${JSON.stringify(issue.input)}`,
  }).default('weekdays'),
  /** UTC time of day of the trickle-down slots, `HH:MM`. */
  trickleDownAt: z.string().superRefine(via((v) => parseTimeOfDay(v, 'trickleDownAt'))).default('00:00'),
  tagMessage: z.string().superRefine(via((v) => validateTagMessageTemplate(v, 'tagMessage'))).default('v{version} ({codename}) release {n}.'),
  autoApprove: z.boolean().default(false),
  /**
   * How merges of v<N> into master land: `push`, `pull-request` (from a throw-away branch, the
   * train waits until it is merged) or `auto` (push; a pull request when master is protected).
   */
  mergeVia: z.enum(['push', 'pull-request', 'auto'], {
    error: (issue) => `mergeVia must be one of push, pull-request, auto, got ${JSON.stringify(issue.input)}`,
  }).default('auto'),
  /** Where the per-repo mirror clones are kept (relative paths are relative to the working directory). */
  cacheDir: z.string().min(1).default('.stratus/git-cache'),
  /** Identity of the tags and merge commits stratus makes. */
  committer: z
    .strictObject({
      name: z.string().trim().min(1, { error: 'committer.name must not be empty' }),
      email: z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/, { error: 'committer.email must be an e-mail address' }),
    })
    .default({ name: 'stratus', email: 'stratus@localhost' }),
  repos: z
    .array(repoSchema)
    .min(1, { error: 'repos needs at least one repository' })
    .superRefine((repos, ctx) => {
      const seen = new Set<string>();
      repos.forEach((repo, i) => {
        if (seen.has(repo.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate repo name ${JSON.stringify(repo.name)}` });
        seen.add(repo.name);
      });
    }),
  jira: jiraSchema.optional(),
  github: githubSchema.optional(),
});

/** The parsed `release:` section, defaults filled in. */
export type ReleaseConfig = z.output<typeof releaseConfigSchema>;
/** The `release:` section as written in YAML. */
export type ReleaseConfigInput = z.input<typeof releaseConfigSchema>;
/** One repository of the train. */
export type ReleaseRepoConfig = ReleaseConfig['repos'][number];
