// The `lifecycle:` config section (kept beside the planner tests; it feeds the planner).
import { z } from 'zod';
import { parse } from 'yaml';
import { ConfigError } from '../../config/errors.js';
import { validateWith } from '../../config/load.js';
import { allocationSource, eolTable, lifecycleConfigSchema, lifecyclePolicies, smtpSettings } from '../../config/lifecycle.js';

const root = z.strictObject({ lifecycle: lifecycleConfigSchema });
const DAY = 86_400_000;

function problems(yamlText: string): string[] {
  try {
    validateWith(root, parse(yamlText));
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('lifecycle config', () => {
  it('accepts the issue example as it stands, dry-run by default', () => {
    const cfg = validateWith(root, parse(`
lifecycle:
  enforce: false
  maxActionsPerSweep: 50
  sweepAt: "03:00"
  allocations: { file: ./allocations.csv }
  notify: { smtp: { host: localhost, port: 2525 }, from: "cloud@example.org" }
  rules:
    - { kind: shelve-stopped, after: 14d, states: [SHUTOFF, SUSPENDED], warn: [7d, 1d] }
    - { kind: delete-shelved, after: 180d, warn: [30d, 7d] }
    - { kind: expire-allocation, after: 180d, warn: [30d, 7d] }
  exemptMetadataKey: "stratus:exempt"
`)).lifecycle;
    expect(cfg.enforce).toBe(false);
    expect(cfg.maxActionsPercent).toBe(10);
    expect(lifecyclePolicies(cfg)).toEqual({
      rules: [
        { kind: 'shelve-stopped', after: 14 * DAY, warn: [7 * DAY, DAY], states: ['SHUTOFF', 'SUSPENDED'] },
        { kind: 'delete-shelved', after: 180 * DAY, warn: [30 * DAY, 7 * DAY], states: ['SHELVED', 'SHELVED_OFFLOADED'] },
        { kind: 'expire-allocation', after: 180 * DAY, warn: [30 * DAY, 7 * DAY] },
      ],
      exemptMetadataKey: 'stratus:exempt', exempt: [],
    });
    expect(smtpSettings(cfg.notify!, {})).toEqual({ host: 'localhost', port: 2525, secure: false, from: 'cloud@example.org', timeoutMs: 30_000 });
  });

  it('fills in the default rules, EOL table, exemptions and deploy step', () => {
    const cfg = validateWith(root, parse(`
lifecycle:
  rules: [{ kind: retire-eol-images }, { kind: shelve-stopped }]
  eol: [{ distro: ubuntu, version: "18.04", eol: 2023-05-31 }]
  exempt: [{ id: srv-1, reason: teaching lab, until: 2026-12-31 }]
  allocations: { url: "https://alloc.example.org/api/allocations", tokenEnv: ALLOC_TOKEN }
  deploy: { playbook: site.yml }
`)).lifecycle;
    expect(lifecyclePolicies(cfg).rules).toEqual([
      { kind: 'retire-eol-images', after: 0, warn: [30 * DAY] },
      { kind: 'shelve-stopped', after: 14 * DAY, warn: [7 * DAY, DAY], states: ['SHUTOFF', 'SUSPENDED'] },
    ]);
    expect(eolTable(cfg)).toEqual([{ distro: 'ubuntu', version: '18.04', eolDate: '2023-05-31' }]);
    expect(cfg.exempt).toEqual([{ id: 'srv-1', reason: 'teaching lab', until: '2026-12-31' }]);
    expect(cfg.allocations).toEqual({ url: 'https://alloc.example.org/api/allocations', tokenEnv: 'ALLOC_TOKEN', timeout: '1m' });
    expect(allocationSource(cfg.allocations!)).toEqual({ url: 'https://alloc.example.org/api/allocations', tokenEnv: 'ALLOC_TOKEN', timeoutMs: 60_000 });
    expect(cfg.deploy).toEqual({ playbook: 'site.yml', user: 'ubuntu', extraVars: {}, timeout: '30m', retries: 2, waitFor: '15m' });
    expect(validateWith(root, { lifecycle: {} }).lifecycle.rules.map((r) => r.kind)).toEqual(['shelve-stopped', 'delete-shelved', 'expire-allocation']);
  });

  it('names the field of an unknown rule kind, a bad or negative duration, and a lead longer than the threshold', () => {
    expect(problems(`
lifecycle:
  rules:
    - { kind: shelve-running }
    - { kind: shelve-stopped, after: fortnight }
    - { kind: delete-shelved, after: -5d }
    - { kind: expire-allocation, after: 30d, warn: [60d, 7d] }
`)).toEqual([
      'lifecycle.rules.0.kind: must be one of: shelve-stopped, delete-shelved, expire-allocation, retire-eol-images, warn-image-dependants',
      'lifecycle.rules.1.after: invalid duration "fortnight": use a number followed by w, d, h or m (e.g. 2w, 3d, 12h)',
      'lifecycle.rules.2.after: invalid duration "-5d": use a number followed by w, d, h or m (e.g. 2w, 3d, 12h)',
      'lifecycle.rules.3.warn.0: lead time 60d must be shorter than after (30d)',
    ]);
  });

  it('refuses rules without warnings, a rule twice, states on the wrong rule and unknown keys', () => {
    const found = problems(`
lifecycle:
  rules:
    - { kind: shelve-stopped, warn: [] }
    - { kind: shelve-stopped }
    - { kind: expire-allocation, states: [ACTIVE] }
  enforse: true
`);
    expect(found).toEqual(expect.arrayContaining([
      'lifecycle.rules.0.warn: must list at least one warning lead time: stratus never acts without warning',
      'lifecycle.rules.1.kind: shelve-stopped is already configured as rule 0',
      'lifecycle.rules.2.states: only shelve-stopped and delete-shelved take states, not expire-allocation',
    ]));
    expect(found.find((p) => p.startsWith('lifecycle.enforse'))).toMatch(/enforce/);
  });

  it('names bad exemptions, EOL dates, allocation sources and SMTP credentials', () => {
    expect(problems(`
lifecycle:
  exempt: [{ id: srv-1, reason: "", until: 2026-02-30 }]
  eol: [{ distro: ubuntu, version: "18.04", eol: "May 2023" }]
  allocations: { url: "ftp://alloc.example.org/x" }
  notify: { smtp: { host: mail.example.org, userEnv: SMTP_USER }, from: not-an-address }
  sweepAt: "25:00"
`)).toEqual(expect.arrayContaining([
      'lifecycle.exempt.0.reason: must not be empty (why it is exempt; shown in every plan)',
      'lifecycle.exempt.0.until: must be a real date YYYY-MM-DD, got "2026-02-30"',
      'lifecycle.eol.0.eol: must be a real date YYYY-MM-DD, got "May 2023"',
      'lifecycle.allocations.url: must be an http(s) URL of a JSON endpoint',
      'lifecycle.notify.smtp.passwordEnv: userEnv and passwordEnv go together: name both environment variables, or neither',
      'lifecycle.notify.from: must be an email address',
      'lifecycle.sweepAt: invalid time of day "25:00": use HH:MM in UTC (e.g. 00:00, 09:30)',
    ]));
  });

  it('reads SMTP credentials from the environment and names a missing variable, never the secret', () => {
    const cfg = validateWith(root, parse(`
lifecycle:
  notify: { smtp: { host: mail.example.org, port: 465, userEnv: SMTP_USER, passwordEnv: SMTP_PASSWORD }, from: cloud@example.org }
`)).lifecycle;
    expect(smtpSettings(cfg.notify!, { SMTP_USER: 'bot', SMTP_PASSWORD: 's3cret' })).toMatchObject({ secure: true, auth: { user: 'bot', pass: 's3cret' } });
    expect(() => smtpSettings(cfg.notify!, { SMTP_USER: 'bot' })).toThrow('lifecycle.notify.smtp.passwordEnv: environment variable SMTP_PASSWORD is not set');
  });
});
