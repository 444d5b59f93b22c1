// The dashboard's one stylesheet: a type scale, spacing, status colours and the pictures' fills,
// built from the palette below so the contrast test checks exactly what ships. Classes only: no
// page sets a style= attribute, so the CSP can allow this one stylesheet by its hash.
import { createHash } from 'node:crypto';

/** Text on a background: every pair is WCAG AA for normal text (≥ 4.5:1), tested. */
export const TEXT_COLOURS = {
  body: { fg: '#1b1f24', bg: '#ffffff' },
  muted: { fg: '#57606a', bg: '#ffffff' },
  page: { fg: '#1b1f24', bg: '#f6f8fa' },
  mutedOnPage: { fg: '#57606a', bg: '#f6f8fa' },
  link: { fg: '#0550ae', bg: '#ffffff' },
  header: { fg: '#ffffff', bg: '#1f2933' },
  headerLink: { fg: '#c9d1d9', bg: '#1f2933' },
  pass: { fg: '#0f5323', bg: '#dafbe1' },
  fail: { fg: '#82071e', bg: '#ffebe9' },
  warn: { fg: '#4d2d00', bg: '#fff8c5' },
  notice: { fg: '#0a3069', bg: '#ddf4ff' },
  published: { fg: '#512a97', bg: '#fbefff' },
  neutral: { fg: '#424a53', bg: '#eaeef2' },
  bar0: { fg: '#1b1f24', bg: '#cfe3ff' },
  bar1: { fg: '#1b1f24', bg: '#d3f5dc' },
  bar2: { fg: '#1b1f24', bg: '#ffe7c2' },
  today: { fg: '#a40e26', bg: '#ffffff' },
} as const;

/** Shapes that carry meaning (cells, chart bars, markers): ≥ 3:1 against white (WCAG 1.4.11), tested. */
export const SHAPE_FILLS = {
  passed: '#2da44e',
  advisory: '#9a6700',
  failed: '#a40e26',
  published: '#0969da',
  revoked: '#24292f',
  notify: '#9a6700',
  shelve: '#0969da',
  delete: '#a40e26',
  unfeature: '#8250df',
  milestone: '#8250df',
  planned: '#6e7781',
  today: '#cf222e',
  tick: '#1b1f24',
} as const;

const t = TEXT_COLOURS;
const f = SHAPE_FILLS;
const status = (cls: string, c: { fg: string; bg: string }) => `${cls}{background:${c.bg};color:${c.fg}}`;

/** The stylesheet (inlined in each page's head). */
export const STYLE = [
  `:root{--gap:1rem;--radius:6px;--line:#d0d7de}`,
  `*,*::before,*::after{box-sizing:border-box}`,
  `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:${t.page.fg};background:${t.page.bg}}`,
  `h1{font-size:1.6rem;line-height:1.25;margin:1.25rem 0 .75rem}h2{font-size:1.25rem;line-height:1.3;margin:0 0 .6rem}h3{font-size:1.05rem;margin:.9rem 0 .4rem}`,
  `header{background:${t.header.bg};color:${t.header.fg}}`,
  `.bar-top{max-width:80rem;margin:0 auto;padding:.5rem var(--gap);display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}`,
  `.bar-top p{margin:0;font-size:1.1rem}`,
  `header nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:0}`,
  `header nav a{color:${t.headerLink.fg};text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}`,
  `header nav a[aria-current=page]{color:${t.header.fg};border-bottom-color:${t.header.fg};font-weight:600}`,
  `header label{font-size:.85rem}header input{font:inherit;font-size:.85rem;padding:.1rem .3rem;max-width:100%}`,
  `#operator-box{font-size:.9rem;display:flex;flex-wrap:wrap;gap:.3rem .5rem;align-items:center}#action-result{font-weight:600}`,
  `main,footer{max-width:80rem;margin:0 auto;padding:0 var(--gap)}`,
  `footer{color:${t.mutedOnPage.fg};font-size:.85rem;padding-bottom:2rem}`,
  `a{color:${t.link.fg}}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0969da;outline-offset:2px}`,
  `main>section{background:${t.body.bg};border:1px solid var(--line);border-radius:var(--radius);padding:var(--gap);margin:0 0 var(--gap)}`,
  `main>p{margin:.5rem 0 1rem}`,
  `.scroll{overflow-x:auto;max-width:100%}`,
  `table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem;background:${t.body.bg}}caption{text-align:left;font-weight:600;padding:.2rem 0}`,
  `th,td{border-bottom:1px solid var(--line);padding:.3rem .6rem;text-align:left;vertical-align:top}thead th{border-bottom:2px solid #8c959f;white-space:nowrap}`,
  `tbody tr:hover{background:${t.page.bg}}`,
  `ol.timeline{list-style:none;padding:0;margin:.5rem 0;font-size:.9rem}ol.timeline li{display:flex;flex-wrap:wrap;gap:.1rem 1rem;padding:.3rem .6rem;border-bottom:1px solid var(--line)}`,
  `ol.timeline .phase{font-weight:600;min-width:6rem}ol.timeline .focus{min-width:5rem;color:${t.muted.fg}}ol.timeline .dates{min-width:17rem}ol.timeline .was{color:${t.muted.fg}}ol.timeline li.now{background:${t.notice.bg}}ol.timeline li.now .focus,ol.timeline li.now .was{color:${t.notice.fg}}`,
  `time{white-space:nowrap}code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace}code.sha{word-break:break-all}`,
  `dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:.5rem 0}dd{margin:0;overflow-wrap:anywhere}dt{font-weight:600;color:${t.muted.fg}}`,
  `.codename{color:${t.muted.fg};font-weight:400}`,
  `.banner{border-left:6px solid;border-radius:var(--radius);padding:.5rem 1rem;margin:.6rem 0}.banner h2,.banner h3{margin:0 0 .2rem;font-size:1.05rem}.banner p{margin:0}`,
  `.stale{background:${t.warn.bg};border-color:#9a6700;color:${t.warn.fg}}`,
  `.revoked,.unreachable{background:${t.fail.bg};border-color:#a40e26;color:${t.fail.fg}}`,
  `.notice{background:${t.notice.bg};border-color:#0969da;color:${t.notice.fg}}`,
  status('.pass', t.pass), `${status('.fail', t.fail)}.fail{font-weight:600}`, status('.warn', t.warn), status('.published', t.published),
  `.today{color:${t.today.fg};font-weight:600}`,
  `.matrix td{text-align:center}.matrix td:last-child{text-align:left}`,
  `form.action{display:inline-block;margin:.2rem .5rem .2rem 0}`,
  `button{font:inherit;padding:.3rem .8rem;border:1px solid #1f2933;border-radius:var(--radius);background:#1f2933;color:#fff;cursor:pointer}`,
  `button:hover{background:#0a3069}`,
  `form.filter{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:.5rem 0}form.filter label{display:flex;flex-direction:column;font-size:.85rem;color:${t.muted.fg}}`,
  `form.filter input,form.filter select{font:inherit;padding:.25rem .4rem;border:1px solid #8c959f;border-radius:4px;background:#fff;color:${t.body.fg}}`,
  `.pager{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0}`,
  // Pictures: full width, scaled by their viewBox; below 720 px they scroll inside their frame.
  `figure.chart{margin:.5rem 0;overflow-x:auto}figure.chart svg{display:block;width:100%;height:auto;min-width:720px}figure.chart svg.strip{min-width:560px;max-width:60rem}`,
  `svg text{font-family:inherit;fill:${t.body.fg}}svg .axis,svg .lane-sub{font-size:11px;fill:${t.muted.fg}}svg .lane-label{font-size:13px;font-weight:600}svg .bar-label{font-size:11px}`,
  `svg .week{stroke:#eaeef2}svg .week.month{stroke:#c4ccd4}`,
  `svg .bar{stroke:#8c959f;stroke-width:.5}svg .ph0{fill:${t.bar0.bg}}svg .ph1{fill:${t.bar1.bg}}svg .ph2{fill:${t.bar2.bg}}`,
  `svg .bar.current{stroke:#0a3069;stroke-width:2}svg .bar.next{fill:#f6f8fa;stroke:#57606a;stroke-dasharray:4 3}svg .bar.planned{stroke:${f.planned};stroke-width:1;stroke-dasharray:none}`,
  `svg .milestone{fill:${f.milestone};stroke:#fff;stroke-width:1.5}svg .tick{stroke:${f.tick};stroke-width:1.5}svg .tick.scheduled{stroke:#8c959f;stroke-width:1}`,
  `svg .today line{stroke:${f.today};stroke-width:2}svg .today text{fill:${t.today.fg};font-size:11px;font-weight:600}`,
  `svg .c-pass{fill:${f.passed}}svg .c-adv{fill:${f.advisory}}svg .c-fail{fill:${f.failed}}svg .c-pub{fill:${f.published}}svg .c-rev{fill:${f.revoked}}svg .c-none{fill:#f6f8fa;stroke:#d0d7de;stroke-width:.06}svg .c-build{fill:#8c959f}svg .hit{fill:transparent}svg .hit:hover{stroke:#1b1f24;stroke-width:1.5}svg .strip-axis{font-size:10px;fill:${t.muted.fg}}`,
  `svg .k-notify{fill:${f.notify}}svg .k-shelve{fill:${f.shelve}}svg .k-delete{fill:${f.delete}}svg .k-unfeature{fill:${f.unfeature}}svg .gridline{stroke:#eaeef2}svg .baseline{stroke:#57606a}`,
  `.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:.25rem 0 .5rem;font-size:.85rem;color:${t.muted.fg}}`,
  `.swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:2px;vertical-align:-.1rem;margin-right:.3rem;border:1px solid #8c959f}`,
  `.swatch.ph0{background:${t.bar0.bg}}.swatch.ph1{background:${t.bar1.bg}}.swatch.ph2{background:${t.bar2.bg}}.swatch.current{border:2px solid #0a3069}`,
  `.swatch.planned{background:${t.bar1.bg};border-color:${f.planned};height:.45rem;vertical-align:.1rem}.swatch.next{border:1px dashed #57606a;background:#f6f8fa}`,
  `.swatch.milestone{background:${f.milestone};transform:rotate(45deg) scale(.8)}.swatch.tick{width:2px;background:${f.tick};border:0}.swatch.today{width:3px;background:${f.today};border:0}`,
  `.swatch.c-pass{background:${f.passed}}.swatch.c-adv{background:${f.advisory}}.swatch.c-fail{background:${f.failed}}.swatch.c-pub{background:${f.published}}.swatch.c-rev{background:${f.revoked}}.swatch.c-none{background:#f6f8fa}.swatch.c-build{background:#8c959f}`,
  `.swatch.k-notify{background:${f.notify}}.swatch.k-shelve{background:${f.shelve}}.swatch.k-delete{background:${f.delete}}.swatch.k-unfeature{background:${f.unfeature}}`,
  `@media (max-width:40rem){body{font-size:14px}h1{font-size:1.35rem}main>section{padding:.75rem}dl{grid-template-columns:minmax(0,1fr)}dt{margin-top:.3rem}.scroll th,.scroll td{white-space:nowrap}}`,
].join('\n');

/** CSP source of the stylesheet, so a strict `style-src` needs no 'unsafe-inline'. */
export const STYLE_CSP = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;
