// Small helpers the SVG renderers share: numbers short enough to keep big pictures small, UTC day
// arithmetic and date labels, and the escaped <title> every drawn thing carries.
import { escapeHtml } from '../download-page.js';

export { escapeHtml };

export const DAY = 86_400_000;
export const WEEK = 7 * DAY;

/** A coordinate with at most one decimal ("12.5", "3"), to keep pages with thousands of shapes small. */
export function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** An escaped `<title>` (the tooltip and the accessible name of the shape it is in). */
export function title(text: string): string {
  return `<title>${escapeHtml(text)}</title>`;
}

/** Midnight UTC of the day of `ms`. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** Midnight UTC of the Monday on or before `ms`. */
export function mondayOnOrBefore(ms: number): number {
  const day = utcDay(ms);
  const dow = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return day - dow * DAY;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "6 Jan" (UTC). */
export function dayMonth(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "Jan" (UTC). */
export function monthName(ms: number): string {
  return MONTHS[new Date(ms).getUTCMonth()]!;
}

/** `YYYY-MM-DD` (UTC). */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD HH:MM` (UTC). */
export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** The opening tag of a picture: scales with its viewBox, named for screen readers. */
export function svgOpen(className: string, width: number, height: number, label: string, extra = ''): string {
  return `<svg class="${className}" viewBox="0 0 ${num(width)} ${num(height)}" role="img" aria-label="${escapeHtml(label)}"${extra}>`;
}
