// Lifecycle notice emails: one plain-text and one HTML body per message, saying what will happen
// to which resources, when, why (rule and reason) and how to keep them. All user data is escaped
// in HTML.
import { type AnnouncedEffect, type ResourceType, type RuleKind } from '../workflows/lifecycle-types.js';

/** One resource a notice is about (taken from a `notify` plan item). */
export interface NoticeResource {
  type: ResourceType;
  id: string;
  name: string;
  projectId: string;
  rule: RuleKind;
  effect: AnnouncedEffect;
  /** ISO time the effect happens at the earliest. */
  at: string;
  /** The planner's reason in words. */
  reason: string;
  image?: { id: string; name: string };
}

/** A message: resources of one rule and stage, going to the same people. */
export interface Notice {
  stage: string;
  resources: NoticeResource[];
}

/** What every message needs to know about the cloud. */
export interface NoticeContext {
  /** E.g. "Research Cloud". */
  cloudName: string;
  exemptMetadataKey: string;
  /** Where to ask for an exemption or a renewal (URL or address). */
  helpContact?: string;
  /** Shown at the bottom so a support desk can find the sweep. */
  reference?: string;
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

const TYPE_WORDS: Record<ResourceType, [string, string]> = {
  'floating-ip': ['floating IP', 'floating IPs'], server: ['server', 'servers'], volume: ['volume', 'volumes'],
  image: ['image', 'images'], router: ['router', 'routers'], port: ['port', 'ports'], network: ['network', 'networks'],
  container: ['object container', 'object containers'],
  'volume-snapshot': ['volume snapshot', 'volume snapshots'], 'security-group': ['security group', 'security groups'],
};

/** Renders a notice; resources are listed in the order given. */
export function renderNotice(notice: Notice, ctx: NoticeContext): RenderedNotice {
  if (notice.resources.length === 0) throw new Error('renderNotice: a notice needs at least one resource');
  const first = notice.resources[0];
  const earliest = notice.resources.map((r) => r.at).sort()[0];
  const subject = `[${ctx.cloudName}] ${headline(notice, first.effect)} ${first.effect === 'image-eol' && notice.stage === 'eol' ? 'now' : `on or after ${day(earliest)}`}`;
  const lines = notice.resources.map((r) => ({
    what: `${TYPE_WORDS[r.type][0]} ${r.name || r.id} (${r.id}, project ${r.projectId})`,
    effect: sentence(r),
    why: `Why: ${r.reason} (rule ${r.rule}).`,
  }));
  const keep = [...new Set(notice.resources.map((r) => howToKeep(r, ctx)))];
  const help = ctx.helpContact ? `Questions, exemptions and renewals: ${ctx.helpContact}` : undefined;
  const footer = `You receive this because you own or are the contact of these resources on ${ctx.cloudName}. Each warning is sent once.${ctx.reference ? ` Reference: ${ctx.reference}` : ''}`;

  const text = [
    'Hello,', '',
    `${intro(notice, first.effect)}`, '',
    ...lines.flatMap((l) => [`- ${l.what}`, `  ${l.effect}`, `  ${l.why}`]), '',
    'How to keep them:', ...keep.map((k) => `- ${k}`), '',
    ...(help ? [help, ''] : []),
    footer,
  ].join('\n');

  const html = [
    '<!doctype html><html><body>',
    '<p>Hello,</p>',
    `<p>${esc(intro(notice, first.effect))}</p>`,
    '<ul>', ...lines.map((l) => `<li><strong>${esc(l.what)}</strong><br>${esc(l.effect)}<br><small>${esc(l.why)}</small></li>`), '</ul>',
    '<p>How to keep them:</p>', '<ul>', ...keep.map((k) => `<li>${esc(k)}</li>`), '</ul>',
    ...(help ? [`<p>${esc(help)}</p>`] : []),
    `<p><small>${esc(footer)}</small></p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** Escapes text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function headline(notice: Notice, effect: AnnouncedEffect): string {
  const n = notice.resources.length;
  const types = [...new Set(notice.resources.map((r) => r.type))];
  const noun = types.length === 1 ? TYPE_WORDS[types[0]][n === 1 ? 0 : 1] : n === 1 ? 'resource' : 'resources';
  const subjectNoun = n === 1 ? `${noun} ${notice.resources[0].name || notice.resources[0].id}` : `${n} ${noun}`;
  switch (effect) {
    case 'shelve': return `${subjectNoun} will be shelved`;
    case 'delete': return `${subjectNoun} will be deleted`;
    case 'unfeature': return `${subjectNoun} will leave the featured list`;
    case 'image-eol': return `${subjectNoun} built on an end-of-life image: please migrate`;
    case 'image-deleted': return `an image your ${noun} ${n === 1 ? 'uses' : 'use'} will be deleted`;
  }
}

function intro(notice: Notice, effect: AnnouncedEffect): string {
  const lead = notice.stage.startsWith('warn-') ? `This is the ${notice.stage.slice(5)} warning. ` : '';
  switch (effect) {
    case 'shelve': return `${lead}The following will be shelved (stopped and its resources released; the disk is kept) unless you act:`;
    case 'delete': return `${lead}The following will be deleted, with all their data, unless you act:`;
    case 'unfeature': return `${lead}The following images run an operating system past its end of life and will be removed from the featured list:`;
    case 'image-eol': return `${lead}The following are built on an image whose operating system is past (or near) its end of life and no longer gets security updates:`;
    case 'image-deleted': return `${lead}The following use an image owned by another project whose allocation has ended; that image will be deleted:`;
  }
}

function sentence(r: NoticeResource): string {
  const when = `on or after ${day(r.at)} (UTC)`;
  const image = r.image ? `image ${r.image.name} (${r.image.id})` : 'its image';
  switch (r.effect) {
    case 'shelve': return `Will be shelved ${when}.`;
    case 'delete': return `Will be deleted ${when}.`;
    case 'unfeature': return `Will be removed from the featured list ${when}.`;
    case 'image-eol': return `Built on ${image}, end of life ${day(r.at)}.`;
    case 'image-deleted': return `Uses ${image}, which will be deleted ${when}.`;
  }
}

function howToKeep(r: NoticeResource, ctx: NoticeContext): string {
  const exempt = `ask for an exemption, or set the metadata ${ctx.exemptMetadataKey}=until:YYYY-MM-DD (or =forever where allowed) on the resource`;
  switch (r.rule) {
    case 'shelve-stopped':
      return `Start the server if you still use it (running servers are not shelved), or ${exempt}, e.g. openstack server set --property ${ctx.exemptMetadataKey}=until:YYYY-MM-DD <server>.`;
    case 'delete-shelved':
      return `Unshelve the server if you still need it (openstack server unshelve <server>), or ${exempt}.`;
    case 'expire-allocation':
      return `Renew the project's allocation before the date above; or copy out the data you need (snapshots, volumes, objects).`;
    case 'retire-eol-images':
      return r.effect === 'unfeature'
        ? 'Publish an image of a supported release to take its place.'
        : 'Move to a supported release: launch a new server from a current image and migrate your data, or rebuild the server.';
    case 'warn-image-dependants':
      return 'Take a snapshot of your server now (it keeps working from the snapshot), or move to another image; the image owner can renew their allocation.';
  }
}

function day(iso: string): string {
  return iso.slice(0, 10);
}
