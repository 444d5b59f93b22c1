// The demo mailbox page `/mailbox`: the lifecycle notices the first-run demo's local SMTP listener
// received, newest first — what the cloud's users would find in their inbox. Only with the demo.
import { escapeHtml, renderPage, time, type PageContext } from './layout.js';

/** A message the mailbox holds. */
export interface MailboxMessage {
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** Where the dashboard reads the mailbox from (the demo's SMTP listener). */
export interface Mailbox {
  messages(): readonly MailboxMessage[];
}

/** The mailbox page; without a mailbox it says there is none. */
export function renderMailboxPage(mailbox: Mailbox | undefined, ctx: PageContext): string {
  if (!mailbox) return renderPage(ctx, '/mailbox', 'Mailbox', '<p class="banner notice">There is no local mailbox: it exists only in the first-run demo of <code>stratus dev</code>. Real notices go to your SMTP server.</p>');
  const messages = [...mailbox.messages()].reverse();
  const intro = '<p class="banner notice">Demo mailbox: a local SMTP listener stands in for the users\' inboxes, so the lifecycle\'s warnings can be read here.</p>';
  const body = messages.length === 0
    ? '<p>No messages yet.</p>'
    : messages.map((m, i) => `<article class="mail" aria-labelledby="mail-${i}"><h2 id="mail-${i}">${escapeHtml(m.subject || '(no subject)')}</h2><dl><dt>To</dt><dd>${escapeHtml(m.to.join(', '))}</dd><dt>From</dt><dd>${escapeHtml(m.from)}</dd><dt>Received</dt><dd>${time(m.receivedAt)}</dd></dl><pre>${escapeHtml(m.text)}</pre></article>`).join('\n');
  return renderPage(ctx, '/mailbox', 'Mailbox', `${intro}\n<p>${messages.length} message${messages.length === 1 ? '' : 's'}, newest first.</p>\n${body}`);
}
