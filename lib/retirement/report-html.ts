// A plan as one self-contained HTML page, for a person deciding whether to apply it: who planned
// what and when, the totals and whether the limits bound, charts of what would be retired, deferred
// and kept by age and by reason, and every decision in a table that sorts, filters and shows a
// page of rows at a time (the decisions are data for the page's script, see SCRIPT).
//
// Nothing is fetched: the styles, the script and the SVG charts are inline, and the page's
// Content-Security-Policy forbids any network use (default-src 'none') and admits only the inline
// style and script by their SHA-256 hashes (constant, so the same policy can be sent as a header).
// Every value from a plan (names, IDs, details) is escaped in the markup, written so that it cannot
// end the data block, and put into the table by the script as text only.

import { createHash } from 'node:crypto';
import {
  DECISIONS,
  type Decision,
  type DecisionKind,
  decisionFor,
  type Plan,
  REASON_PRECEDENCE,
} from './plan.js';

const STYLE = `
:root{color-scheme:light;--retire:#c62828;--deferred:#b26a00;--keep:#2e7d32;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta{color:var(--muted);margin:0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:24px}
.card.retire b{color:var(--retire)}.card.deferred b{color:var(--deferred)}.card.keep b{color:var(--keep)}
.limits{padding:10px 14px;border-radius:8px;border:1px solid var(--line);background:#f6f8fa}
.limits.bound{border-color:var(--deferred);background:#fff8e6}
.warnings{border:1px solid var(--deferred);background:#fff8e6;border-radius:8px;padding:8px 14px 8px 32px}
dl.policy{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.policy dt{color:var(--muted)}dl.policy dd{margin:0}
pre{background:#f6f8fa;padding:12px;border-radius:8px;overflow:auto}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:24px}
figure{margin:0}svg.chart{width:100%;height:auto;font-size:12px}
svg .label{fill:#1f2328}svg .count{fill:var(--muted)}
svg .retire{fill:var(--retire)}svg .deferred{fill:var(--deferred)}svg .keep{fill:var(--keep)}
.legend{display:flex;gap:16px;margin:4px 0 0;padding:0;list-style:none;color:var(--muted)}
.legend li::before{content:"";display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px;background:var(--c)}
.legend .retire{--c:var(--retire)}.legend .deferred{--c:var(--deferred)}.legend .keep{--c:var(--keep)}
.controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0}
.controls input{padding:4px 8px;min-width:260px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top;white-space:nowrap}
td:nth-child(3),td:nth-child(4),td:last-child{white-space:normal;overflow-wrap:anywhere;min-width:12ch}
td:nth-child(3) code{font-size:11px;color:var(--muted);white-space:nowrap}
td:last-child{min-width:30ch}
th{background:#fff}
.scroll{overflow-x:auto}
th button{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.retire td:first-child{color:var(--retire);font-weight:600}
tr.deferred td:first-child{color:var(--deferred);font-weight:600}
tr.keep td:first-child{color:var(--keep)}
`;

/** Rows the table shows at first and adds per "Show more". */
export const REPORT_PAGE_ROWS = 200;

// The decisions travel as JSON in a data block (a script element the browser never runs, so the
// policy need not admit it) and the script builds table rows for one page of them at a time: a
// 10,000-decision plan written as 10,000 rows took Chromium 11 s to load and 8 to 27 s to re-sort
// or re-filter, since every change laid out the whole table again.
const SCRIPT = `
(() => {
  const PAGE = ${REPORT_PAGE_ROWS};
  const decisions = JSON.parse(document.getElementById('decisions-data').textContent);
  const table = document.getElementById('decisions');
  const body = table.tBodies[0];
  const filter = document.getElementById('filter');
  const only = document.getElementById('only');
  const shown = document.getElementById('shown');
  const matching = document.getElementById('matching');
  const more = document.getElementById('more');
  const all = document.getElementById('all');
  const headers = Array.from(table.tHead.rows[0].cells);
  const built = new Map();
  let texts;
  let order = decisions.map((_, index) => index);
  let matched = order;
  let limit = PAGE;
  const cell = (row, text, numeric) => {
    const td = row.insertCell();
    td.textContent = text;
    if (numeric) td.className = 'n';
    return td;
  };
  const rowOf = (index) => {
    let row = built.get(index);
    if (row !== undefined) return row;
    const d = decisions[index];
    row = document.createElement('tr');
    row.className = d[0];
    cell(row, d[0]);
    cell(row, d[1]);
    const image = cell(row, d[2]);
    image.append(document.createElement('br'), document.createElement('code'));
    image.lastChild.textContent = d[3];
    for (const field of [d[4], d[5], d[6], d[7]]) cell(row, field);
    cell(row, d[8] === null ? 'unknown' : String(d[8]), true);
    cell(row, d[9], true);
    cell(row, d[11]);
    built.set(index, row);
    return row;
  };
  const render = () => {
    const fragment = document.createDocumentFragment();
    const count = Math.min(limit, matched.length);
    for (let position = 0; position < count; position += 1) fragment.appendChild(rowOf(matched[position]));
    body.replaceChildren(fragment);
    shown.textContent = String(count);
    matching.textContent = String(matched.length);
    const left = matched.length - count;
    more.hidden = all.hidden = left === 0;
    more.textContent = 'Show ' + Math.min(PAGE, left) + ' more';
    all.textContent = 'Show all ' + matched.length;
  };
  // A new filter or sort starts again at the first page: one kept at "Show all" laid out every
  // matching row at each keystroke (6 s a keystroke at 10,000 decisions).
  const refilter = () => {
    limit = PAGE;
    const query = filter.value.trim().toLowerCase();
    if (query !== '' && texts === undefined) {
      texts = decisions.map((d) => [d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8] === null ? 'unknown' : d[8], d[9], d[11]].join('\\n').toLowerCase());
    }
    matched = order.filter((index) => (only.value === '' || decisions[index][0] === only.value) && (query === '' || texts[index].includes(query)));
    render();
  };
  filter.addEventListener('input', refilter);
  only.addEventListener('change', refilter);
  // The button pressed may hide itself (nothing left to show): focus then moves to the first row it
  // added, not to the page's top, where a keyboard's next Tab would start again.
  const showing = (next) => {
    const from = body.rows.length;
    limit = next;
    render();
    const first = body.rows[from];
    if (more.hidden && first !== undefined) {
      first.tabIndex = -1;
      first.focus();
    }
  };
  more.addEventListener('click', () => showing(limit + PAGE));
  all.addEventListener('click', () => showing(Math.max(limit, matched.length)));
  // A column's sort key: the image by name, then ID; age and size as numbers, unknown (null) last
  // in either direction.
  const keyOf = [
    (d) => d[0], (d) => d[1], (d) => d[2] + '\\u0000' + d[3], (d) => d[4], (d) => d[5], (d) => d[6], (d) => d[7],
    (d) => d[8], (d) => d[10], (d) => d[11],
  ];
  headers.forEach((header, column) => {
    header.querySelector('button').addEventListener('click', () => {
      const ascending = header.getAttribute('aria-sort') !== 'ascending';
      for (const other of headers) other.removeAttribute('aria-sort');
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      const keys = decisions.map(keyOf[column]);
      const direction = ascending ? 1 : -1;
      order = decisions.map((_, index) => index);
      order.sort((a, b) =>
        keys[a] === null || keys[b] === null
          ? (keys[a] === null) - (keys[b] === null) || a - b
          : keys[a] < keys[b] ? -direction : keys[a] > keys[b] ? direction : a - b,
      );
      refilter();
    });
  });
  render();
})();
`;

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The report's Content-Security-Policy: nothing may be fetched, only the inline style and script
 * run. Send it as a header too when serving the report.
 */
export const REPORT_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text and attribute values from a plan, made inert. */
export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

const DAY_MS = 86_400_000;

/** Age buckets, youngest first; the last is for images whose creation time is unknown. */
export const AGE_BUCKETS = [
  { label: '< 30 days', below: 30 },
  { label: '30–90 days', below: 90 },
  { label: '90–180 days', below: 180 },
  { label: '180–365 days', below: 365 },
  { label: '> 1 year', below: Number.POSITIVE_INFINITY },
  { label: 'unknown', below: Number.NaN },
] as const;

/** Whole days between the image's creation and the plan; undefined when unknown. */
const ageInDays = (decision: Decision, planTime: number): number | undefined => {
  const created =
    decision.image.createdAt === undefined ? Number.NaN : Date.parse(decision.image.createdAt);
  return Number.isNaN(created) ? undefined : Math.floor((planTime - created) / DAY_MS);
};

const bucketOf = (age: number | undefined): number =>
  age === undefined
    ? AGE_BUCKETS.length - 1
    : AGE_BUCKETS.findIndex((bucket) => age < bucket.below);

const formatSize = (size: number | undefined): string => {
  if (size === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
};

/** `2024-03-01 10:00` (UTC) from an ISO time; the text as it is when it does not parse. */
const formatTime = (iso: string | undefined): string => {
  if (iso === undefined) return '';
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().slice(0, 16).replace('T', ' ');
};

type Counts = Record<DecisionKind, number>;
const noCounts = (): Counts => ({ retire: 0, deferred: 0, keep: 0 });

interface Bar {
  readonly label: string;
  readonly counts: Counts;
}

/** A horizontal stacked bar chart (retire, deferred, keep) as inline SVG, with its counts written out. */
const barChart = (id: string, title: string, bars: readonly Bar[]): string => {
  const labelWidth = 110;
  const barWidth = 300;
  const rowHeight = 26;
  const summaries = bars.map((bar) => {
    const summary = DECISIONS.filter((kind) => bar.counts[kind] > 0)
      .map((kind) => `${bar.counts[kind]} ${kind}`)
      .join(' · ');
    return summary === '' ? '0' : summary;
  });
  // Room after the bars for the longest count text (12px text, at most about 7 units a character):
  // a plan of thousands writes `1250 retire · 502 deferred · 3927 keep`.
  const width =
    labelWidth + barWidth + Math.max(210, 12 + 7 * Math.max(0, ...summaries.map((s) => s.length)));
  const height = bars.length * rowHeight + 8;
  const largest = Math.max(
    1,
    ...bars.map((bar) => bar.counts.retire + bar.counts.deferred + bar.counts.keep),
  );
  const rows = bars.map((bar, index) => {
    const y = index * rowHeight + 4;
    let x = labelWidth;
    const segments = DECISIONS.map((kind) => {
      const count = bar.counts[kind];
      if (count === 0) return '';
      const w = Math.max(1, (count / largest) * barWidth);
      const rect = `<rect class="${kind}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 8}"><title>${escapeHtml(bar.label)}: ${count} ${kind}</title></rect>`;
      x += w;
      return rect;
    }).join('');
    return `<g data-bar="${escapeHtml(bar.label)}"><text class="label" x="0" y="${y + 13}">${escapeHtml(bar.label)}</text>${segments}<text class="count" x="${(x + 6).toFixed(1)}" y="${y + 13}">${summaries[index]}</text></g>`;
  });
  return `<figure><svg class="chart" id="${id}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">${escapeHtml(title)}</title>${rows.join('')}</svg></figure>`;
};

const legend = `<ul class="legend">${DECISIONS.map((kind) => `<li class="${kind}">${kind}</li>`).join('')}</ul>`;

const policySummary = (plan: Plan): string => {
  const { policy } = plan;
  const select = policy.select;
  const item = (term: string, value: string | undefined): string =>
    value === undefined ? '' : `<dt>${term}</dt><dd>${escapeHtml(value)}</dd>`;
  return `<dl class="policy">${[
    item('Provider', policy.provider),
    item('Regions', policy.regions.join(', ')),
    item('Description', policy.description),
    item(
      'Selects',
      [
        'custom images',
        select.name === undefined ? undefined : `named ${select.name}`,
        select.status === undefined
          ? 'in any known status'
          : `in status ${select.status.join(', ')}`,
        select.olderThanDays === undefined
          ? undefined
          : `at least ${select.olderThanDays} days old`,
      ]
        .filter((part) => part !== undefined)
        .join(', '),
    ),
    item(
      'Keeps',
      policy.keep?.newestPerFamily === undefined
        ? undefined
        : `the ${policy.keep.newestPerFamily} newest available images of each family, per region`,
    ),
    item('Excludes IDs', policy.exclude?.ids?.length ? policy.exclude.ids.join(', ') : undefined),
    item(
      'Excludes names',
      policy.exclude?.names?.length ? policy.exclude.names.join(', ') : undefined,
    ),
    item(
      'Limits',
      `at most ${policy.limits.maxDeletions} images and ${policy.limits.maxPercent}% of the images decided`,
    ),
    item('Force', policy.force === undefined ? undefined : String(policy.force)),
    item('Schedule', policy.schedule),
    item('Apply', policy.apply),
  ].join('')}</dl>`;
};

/** The table's columns, in the order of each decision's cells (see decisionData). */
const HEADERS = [
  'Decision',
  'Reason',
  'Image (name, ID)',
  'Family',
  'Region',
  'Status',
  'Created (UTC)',
  'Age (days)',
  'Size',
  'Detail',
] as const;

/**
 * One decision as the page's script reads it: the cells' texts, with the numbers sorted on.
 * [decision, reason, name, ID, family, region, status, created, age in days | null, size as text,
 * size in bytes | null, detail]
 */
const decisionData = (
  decision: Decision,
  planTime: number,
): ReadonlyArray<string | number | null> => {
  const { image } = decision;
  return [
    decision.decision,
    decision.reason,
    image.name,
    image.id,
    decision.family,
    image.region,
    image.status,
    formatTime(image.createdAt).slice(0, 10),
    ageInDays(decision, planTime) ?? null,
    formatSize(decision.size),
    decision.size ?? null,
    decision.detail ?? '',
  ];
};

/**
 * JSON that may stand inside a script element: `<` written as `\u003c`, so no text from a plan
 * can close the element or open a comment there.
 */
const scriptSafeJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** The plan as a self-contained HTML document (see REPORT_CONTENT_SECURITY_POLICY). */
export const renderPlanReport = (plan: Plan): string => {
  const planTime = Date.parse(plan.createdAt);
  const { totals, limits, policy } = plan;

  const byAge = AGE_BUCKETS.map((bucket) => ({ label: bucket.label, counts: noCounts() }));
  for (const decision of plan.decisions) {
    const bar = byAge[bucketOf(ageInDays(decision, planTime))];
    if (bar !== undefined) bar.counts[decision.decision] += 1;
  }
  const byReason = REASON_PRECEDENCE.filter((reason) => totals.byReason[reason] > 0).map(
    (reason) => ({
      label: reason,
      counts: { ...noCounts(), [decisionFor(reason)]: totals.byReason[reason] },
    }),
  );

  const totalAttributes = [
    `data-total-images="${totals.images}"`,
    `data-total-retire="${totals.retire}"`,
    `data-total-keep="${totals.keep}"`,
    `data-total-deferred="${totals.deferred}"`,
    totals.bytes === undefined ? '' : `data-total-bytes="${totals.bytes}"`,
    ...REASON_PRECEDENCE.map((reason) => `data-reason-${reason}="${totals.byReason[reason]}"`),
  ]
    .filter((attribute) => attribute !== '')
    .join(' ');
  const card = (kind: string, label: string, value: string): string =>
    `<div class="card ${kind}"><b>${value}</b>${label}</div>`;
  const limitsText = limits.bound
    ? `The limits bound: ${limits.wouldRetire} images would be retired, the limits allow ${limits.allowed}; the ${limits.wouldRetire - limits.allowed} newest of them are deferred to a later plan.`
    : `The limits did not bind: ${limits.wouldRetire} to retire, the limits allow ${limits.allowed}.`;
  const warnings =
    plan.warnings.length === 0
      ? ''
      : `<h2>Warnings</h2><ul class="warnings">${plan.warnings.map((warning) => `<li>${escapeHtml(warning)}</li>`).join('')}</ul>`;
  const title = `Retirement plan ${plan.planId} (${policy.name})`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Retirement plan <code id="plan-id">${escapeHtml(plan.planId)}</code></h1>
<p class="meta">Policy <b>${escapeHtml(policy.name)}</b> · ${escapeHtml(policy.provider)} · ${escapeHtml(policy.regions.join(', '))} · planned ${escapeHtml(formatTime(plan.createdAt))} UTC${plan.createdBy === undefined ? '' : ` by ${escapeHtml(plan.createdBy)}`}</p>
</header>
<section id="totals" ${totalAttributes}>
<div class="cards">${[
    card('images', 'images decided', String(totals.images)),
    card('retire', 'to retire', String(totals.retire)),
    card('deferred', 'deferred (limits)', String(totals.deferred)),
    card('keep', 'kept', String(totals.keep)),
    totals.bytes === undefined
      ? ''
      : card('bytes', 'to free (as reported)', formatSize(totals.bytes)),
  ].join('')}</div>
<p class="limits${limits.bound ? ' bound' : ''}" id="limits" data-bound="${limits.bound}">${limitsText}</p>
</section>
${warnings}
<h2>Policy</h2>
${policySummary(plan)}
<details><summary>Policy document</summary><pre>${escapeHtml(JSON.stringify(policy, null, 2))}</pre></details>
<h2>What would happen</h2>
${legend}
<div class="charts">
<div><h3>By age</h3>${barChart('chart-age', 'Decisions by image age', byAge)}</div>
<div><h3>By reason</h3>${barChart('chart-reason', 'Decisions by reason', byReason)}</div>
</div>
<h2>Every decision</h2>
<div class="controls">
<label>Filter <input id="filter" type="search" placeholder="name, ID, family, reason..." autocomplete="off"></label>
<label>Decision <select id="only"><option value="">all</option>${DECISIONS.map((kind) => `<option value="${kind}">${kind}</option>`).join('')}</select></label>
<span role="status">Showing <b id="shown">0</b> of <b id="matching">${plan.decisions.length}</b> matching, of ${plan.decisions.length} decisions</span>
</div>
<div class="scroll"><table id="decisions">
<thead><tr>${HEADERS.map((label) => `<th scope="col"><button type="button">${label}</button></th>`).join('')}</tr></thead>
<tbody></tbody>
</table></div>
<p class="controls"><button type="button" id="more" hidden>Show more</button> <button type="button" id="all" hidden>Show all</button></p>
<noscript><p>The table of decisions needs JavaScript; the plan as JSON holds every decision.</p></noscript>
<script type="application/json" id="decisions-data">${scriptSafeJson(plan.decisions.map((decision) => decisionData(decision, planTime)))}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
};
