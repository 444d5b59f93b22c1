// The `lifecycle:` section of stratus.yaml: rules (shelve, delete, allocation expiry, EOL images,
// image dependants), warnings, exemptions, allocations source, EOL table, SMTP, blast-radius caps
// and the Ansible deploy step. Durations stay strings here; lifecyclePolicies() turns them into ms.
import { z } from 'zod';
import { parseDuration, parseTimeOfDay } from '../workflows/release-calendar.js';
import { type EolEntry, type LifecyclePolicies, type RuleKind } from '../workflows/lifecycle-types.js';
import { type SmtpNotifierSettings } from '../clients/smtp.js';

export const RULE_KINDS = ['shelve-stopped', 'delete-shelved', 'expire-allocation', 'retire-eol-images', 'warn-image-dependants'] as const satisfies readonly RuleKind[];

/** Defaults per rule kind: age threshold, warning lead times, states. */
export const RULE_DEFAULTS: Record<RuleKind, { after: string; warn: string[]; states?: string[] }> = {
  'shelve-stopped': { after: '14d', warn: ['7d', '1d'], states: ['SHUTOFF', 'SUSPENDED'] },
  'delete-shelved': { after: '180d', warn: ['30d', '7d'], states: ['SHELVED', 'SHELVED_OFFLOADED'] },
  'expire-allocation': { after: '180d', warn: ['30d', '7d'] },
  'retire-eol-images': { after: '0d', warn: ['30d'] },
  'warn-image-dependants': { after: '180d', warn: ['30d', '7d'] },
};

/** Rules whose warnings come before the age threshold is reached (so a lead must be shorter). */
const LEAD_WITHIN_AFTER = new Set<RuleKind>(['shelve-stopped', 'delete-shelved', 'expire-allocation']);

/** Parses `14d`, `12h`, `2w`, `30m`, `1w2d`; `0d` when `allowZero`. Throws a message naming the value. */
export function parseLifecycleDuration(text: string, allowZero = false): number {
  if (allowZero && typeof text === 'string' && /^0+[wdhm]$/.test(text.trim())) return 0;
  return parseDuration(text, 'duration');
}

function durationField(allowZero = false) {
  return z.string({ error: 'must be a duration such as 14d, 12h or 2w' }).superRefine((v, ctx) => {
    try {
      parseLifecycleDuration(v, allowZero);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^duration: /, '') });
    }
  });
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const date = z.string({ error: 'must be a date YYYY-MM-DD' }).refine(
  (v) => DATE_RE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(Date.parse(v)).toISOString().slice(0, 10) === v,
  { error: (issue) => `must be a real date YYYY-MM-DD, got ${JSON.stringify(issue.input)}` },
);

const ENV_NAME = z.string({ error: 'must be the name of an environment variable' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `must be an environment variable name (letters, digits, _), got ${JSON.stringify(issue.input)}` });

const nonEmpty = (what: string) => z.string({ error: `must be a string (${what})` }).trim().min(1, { error: `must not be empty (${what})` });

const ruleSchema = z.strictObject({
  kind: z.enum(RULE_KINDS),
  /** Age threshold; defaults 14d, 180d, 180d, 0d (EOL), 180d (dependants). */
  after: durationField(true).optional(),
  /** Server states (shelve-stopped: SHUTOFF, SUSPENDED; delete-shelved: SHELVED, SHELVED_OFFLOADED). */
  states: z.array(z.string().regex(/^[A-Z_]+$/, { error: (i) => `must be a Nova server status in capitals such as SHUTOFF, got ${JSON.stringify(i.input)}` }))
    .min(1, { error: 'must list at least one server state' }).optional(),
  /** Warning lead times before the action is due; at least one (nobody is ever surprised). */
  warn: z.array(durationField(), { error: 'must be a list of lead times such as [7d, 1d]' })
    .min(1, { error: 'must list at least one warning lead time: stratus never acts without warning' }).optional(),
}).superRefine((rule, ctx) => {
  if (rule.states && rule.kind !== 'shelve-stopped' && rule.kind !== 'delete-shelved') {
    ctx.addIssue({ code: 'custom', path: ['states'], message: `only shelve-stopped and delete-shelved take states, not ${rule.kind}` });
  }
  if (!LEAD_WITHIN_AFTER.has(rule.kind)) return;
  const after = safeMs(rule.after ?? RULE_DEFAULTS[rule.kind].after, true);
  (rule.warn ?? []).forEach((lead, i) => {
    const ms = safeMs(lead, false);
    if (after !== undefined && ms !== undefined && ms >= after) {
      ctx.addIssue({ code: 'custom', path: ['warn', i], message: `lead time ${lead} must be shorter than after (${rule.after ?? RULE_DEFAULTS[rule.kind].after})` });
    }
  });
  if (rule.warn && new Set(rule.warn.map((w) => safeMs(w, false))).size !== rule.warn.length) {
    ctx.addIssue({ code: 'custom', path: ['warn'], message: 'must not list the same lead time twice' });
  }
});

const exemptionSchema = z.strictObject({
  /** Resource id (server, image, volume, …) or project id. */
  id: nonEmpty('a resource or project id'),
  reason: nonEmpty('why it is exempt; shown in every plan'),
  /** Last day of the exemption; absent = forever. */
  until: date.optional(),
});

const allocationsSchema = z.union([
  z.strictObject({ file: nonEmpty('a YAML or CSV file, relative to the config file') }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a JSON endpoint' }),
    /** Environment variable holding a bearer token for the endpoint. */
    tokenEnv: ENV_NAME.optional(),
    timeout: durationField().default('1m'),
  }),
], { error: 'must be { file: <path> } or { url: <https://…> }' });

const smtpSchema = z.strictObject({
  host: nonEmpty('the SMTP server host name'),
  port: z.int({ error: 'must be a whole number (the SMTP port)' }).min(1).max(65535).default(25),
  /** TLS from the start (port 465); otherwise STARTTLS when offered. */
  secure: z.boolean({ error: 'must be true or false' }).optional(),
  /** Sender address; may also be given as notify.from. */
  from: z.email({ error: 'must be an email address' }).optional(),
  userEnv: ENV_NAME.optional(),
  passwordEnv: ENV_NAME.optional(),
  timeout: durationField().optional(),
}).superRefine((smtp, ctx) => {
  if ((smtp.userEnv === undefined) !== (smtp.passwordEnv === undefined)) {
    const missing = smtp.userEnv === undefined ? 'userEnv' : 'passwordEnv';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'userEnv and passwordEnv go together: name both environment variables, or neither' });
  }
});

const notifySchema = z.strictObject({
  smtp: smtpSchema,
  from: z.email({ error: 'must be an email address' }).optional(),
  replyTo: z.email({ error: 'must be an email address' }).optional(),
  /** Who gets the notice when a resource has no known owner or contact. */
  fallbackTo: z.array(z.email({ error: 'must be an email address' })).optional(),
  /** Name of the cloud in messages, e.g. "Research Cloud". */
  cloudName: z.string().min(1).default('the cloud'),
  /** Where users ask for an exemption or renew an allocation (URL or address). */
  helpContact: z.string().min(1).optional(),
}).superRefine((n, ctx) => {
  if (!n.from && !n.smtp.from) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required: the sender address of lifecycle notices' });
});

const deploySchema = z.strictObject({
  playbook: nonEmpty('path of the playbook, relative to the config file'),
  user: nonEmpty('SSH user on new instances').default('ubuntu'),
  extraVars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  timeout: durationField().default('30m'),
  retries: z.int({ error: 'must be a whole number' }).min(0).max(10).default(2),
  /** How long to wait for ACTIVE and SSH. */
  waitFor: durationField().default('15m'),
});

/** The `lifecycle:` section (strict at every level). */
export const lifecycleConfigSchema = z.strictObject({
  /** false (default) = dry-run: plan and warn nothing, act on nothing. */
  enforce: z.boolean({ error: 'must be true or false' }).default(false),
  /** UTC time of the daily sweep, HH:MM. */
  sweepAt: z.string().superRefine((v, ctx) => {
    try { parseTimeOfDay(v, 'sweepAt'); } catch (e) { ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^sweepAt: /, '') }); }
  }).default('03:00'),
  maxActionsPerSweep: z.int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).default(50),
  /** At most this percentage of the resources of a kind in one sweep. */
  maxActionsPercent: z.number({ error: 'must be a number' }).gt(0, { error: 'must be more than 0' }).max(100, { error: 'must be at most 100' }).default(10),
  allocations: allocationsSchema.optional(),
  eol: z.array(z.strictObject({ distro: nonEmpty('os_distro, e.g. ubuntu'), version: nonEmpty('os_version, e.g. 20.04'), eol: date })).default([]),
  notify: notifySchema.optional(),
  rules: z.array(ruleSchema).default(() => (['shelve-stopped', 'delete-shelved', 'expire-allocation'] as const).map((kind) => ({ kind })))
    .superRefine((rules, ctx) => {
      const seen = new Map<string, number>();
      rules.forEach((r, i) => {
        if (seen.has(r.kind)) ctx.addIssue({ code: 'custom', path: [i, 'kind'], message: `${r.kind} is already configured as rule ${seen.get(r.kind)}` });
        else seen.set(r.kind, i);
      });
    }),
  exemptMetadataKey: z.string().regex(/^[A-Za-z0-9_.:-]{1,255}$/, { error: 'must be a metadata key: letters, digits, "_", ".", ":" or "-"' }).default('stratus:exempt'),
  exempt: z.array(exemptionSchema).default([]),
  deploy: deploySchema.optional(),
});

/** A parsed `lifecycle:` section. */
export type LifecycleConfig = z.infer<typeof lifecycleConfigSchema>;

/** The planner's policies (durations in ms, defaults filled in). */
export function lifecyclePolicies(cfg: LifecycleConfig): LifecyclePolicies {
  return {
    rules: cfg.rules.map((r) => {
      const d = RULE_DEFAULTS[r.kind];
      const states = r.states ?? d.states;
      return {
        kind: r.kind,
        after: parseLifecycleDuration(r.after ?? d.after, true),
        warn: (r.warn ?? d.warn).map((w) => parseLifecycleDuration(w)),
        ...(states ? { states: [...states] } : {}),
      };
    }),
    exemptMetadataKey: cfg.exemptMetadataKey,
    exempt: cfg.exempt.map((e) => ({ ...e })),
  };
}

/** The EOL table in the planner's shape. */
export function eolTable(cfg: LifecycleConfig): EolEntry[] {
  return cfg.eol.map((e) => ({ distro: e.distro, version: e.version, eolDate: e.eol }));
}

/** The activity input for `lifecycle.allocations` (timeout in ms). */
export function allocationSource(allocations: NonNullable<LifecycleConfig['allocations']>):
  { file: string } | { url: string; tokenEnv?: string; timeoutMs: number } {
  if ('file' in allocations) return { file: allocations.file };
  return { url: allocations.url, ...(allocations.tokenEnv ? { tokenEnv: allocations.tokenEnv } : {}), timeoutMs: parseLifecycleDuration(allocations.timeout) };
}

/** SMTP settings with credentials read from the environment the worker passes in. */
export type SmtpSettings = SmtpNotifierSettings & { timeoutMs: number };

/**
 * Resolves `lifecycle.notify` into {@link SmtpSettings}. Throws an error naming the field and
 * the variable when a credential variable is unset (never the value).
 */
export function smtpSettings(notify: NonNullable<LifecycleConfig['notify']>, env: Record<string, string | undefined>): SmtpSettings {
  const { smtp } = notify;
  let auth: SmtpSettings['auth'];
  if (smtp.userEnv && smtp.passwordEnv) {
    const user = env[smtp.userEnv];
    const pass = env[smtp.passwordEnv];
    if (!user) throw new Error(`lifecycle.notify.smtp.userEnv: environment variable ${smtp.userEnv} is not set`);
    if (!pass) throw new Error(`lifecycle.notify.smtp.passwordEnv: environment variable ${smtp.passwordEnv} is not set`);
    auth = { user, pass };
  }
  return {
    host: smtp.host, port: smtp.port, secure: smtp.secure ?? smtp.port === 465,
    from: (notify.from ?? smtp.from)!, ...(notify.replyTo ? { replyTo: notify.replyTo } : {}),
    ...(auth ? { auth } : {}), timeoutMs: smtp.timeout ? parseLifecycleDuration(smtp.timeout) : 30_000,
  };
}

function safeMs(text: string, allowZero: boolean): number | undefined {
  try {
    return parseLifecycleDuration(text, allowZero);
  } catch {
    return undefined;
  }
}
