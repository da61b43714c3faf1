// The HTML report as text: one self-contained document whose inline style and script are exactly
// what its Content-Security-Policy admits (by hash), that fetches nothing, escapes every value from
// the plan, and carries the plan's totals for machines as well as people. The browser test
// (report-browser.test.ts) checks that it renders and works in Chromium.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planRetirement } from '../../lib/retirement/planner.js';
import {
  AGE_BUCKETS,
  escapeHtml,
  REPORT_CONTENT_SECURITY_POLICY,
  renderPlanReport,
} from '../../lib/retirement/report-html.js';
import { planInput, policyOf, variedPlanInput } from './fixtures.js';

const plan = planRetirement(variedPlanInput(240));
const html = renderPlanReport(plan);

const between = (text: string, open: string, close: string): string[] =>
  text
    .split(open)
    .slice(1)
    .map((part) => part.slice(0, part.indexOf(close)));

const DATA_OPEN = '<script type="application/json" id="decisions-data">';

/** The decisions' data block as the page's script reads it. */
const decisionsData = (text: string): unknown[][] =>
  JSON.parse(between(text, DATA_OPEN, '</script>')[0] ?? 'null') as unknown[][];

const hashOf = (text: string): string =>
  `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('renderPlanReport', () => {
  it('admits exactly its one inline style and one inline script by hash, and nothing from the network', () => {
    const styles = between(html, '<style>', '</style>');
    const scripts = between(html, '<script>', '</script>');

    expect(styles).toHaveLength(1);
    expect(scripts).toHaveLength(1);
    expect(REPORT_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(REPORT_CONTENT_SECURITY_POLICY).toContain(`style-src ${hashOf(styles[0] as string)}`);
    expect(REPORT_CONTENT_SECURITY_POLICY).toContain(`script-src ${hashOf(scripts[0] as string)}`);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="${REPORT_CONTENT_SECURITY_POLICY}">`,
    );
    expect(html).not.toMatch(/https?:|url\(|@import|<link|<img|<iframe|<object|<embed/i);
    expect(html).not.toMatch(/\sstyle="/);
  });

  it('escapes every name, ID and detail: a hostile name stays text', () => {
    const hostile = plan.decisions.filter((decision) => /[<>"]/.test(decision.image.name));
    const pinned = plan.decisions.find((decision) => decision.reason === 'protected');
    const block = between(html, DATA_OPEN, '</script>')[0] ?? '';
    const data = decisionsData(html);

    expect(hostile.length).toBeGreaterThan(0);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('"><img');
    expect(html).not.toContain('<b>"bold"</b>');
    // Nothing in the data block can end it or open a comment; the texts read back whole.
    expect(block).not.toContain('<');
    expect(data.map((cells) => cells[2])).toEqual(plan.decisions.map((d) => d.image.name));
    expect(data.map((cells) => cells[3])).toEqual(plan.decisions.map((d) => d.image.id));
    expect(data.map((cells) => cells[4])).toEqual(plan.decisions.map((d) => d.family));
    expect(pinned?.detail).toBe('operator pin <prod>');
    expect(data.map((cells) => cells[11])).toContain('operator pin <prod>');
    // The policy, in the markup, is escaped as HTML.
    expect(
      renderPlanReport(planRetirement(planInput(policyOf({ description: '<i>x</i>' }), []))),
    ).toContain(escapeHtml('<i>x</i>'));
  });

  it('carries the totals in data attributes, and every decision in its data block', () => {
    const totals = /<section id="totals" ([^>]*)>/.exec(html)?.[1] ?? '';
    const attribute = (name: string): number =>
      Number(new RegExp(`${name}="(\\d+)"`).exec(totals)?.[1] ?? Number.NaN);
    const decisionOfEach = decisionsData(html).map((cells) => cells[0]);

    expect(attribute('data-total-images')).toBe(plan.totals.images);
    expect(attribute('data-total-retire')).toBe(plan.totals.retire);
    expect(attribute('data-total-keep')).toBe(plan.totals.keep);
    expect(attribute('data-total-deferred')).toBe(plan.totals.deferred);
    expect(attribute('data-reason-over-limit')).toBe(plan.totals.byReason['over-limit']);
    expect(decisionOfEach).toEqual(plan.decisions.map((decision) => decision.decision));
  });

  it('charts every decision once by age, and every reason that occurs', () => {
    const ageChart = between(html, '<svg class="chart" id="chart-age"', '</svg>')[0] ?? '';
    const reasonChart = between(html, '<svg class="chart" id="chart-reason"', '</svg>')[0] ?? '';
    const counted = [...ageChart.matchAll(/: (\d+) (retire|deferred|keep)<\/title>/g)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );

    expect(counted).toBe(plan.totals.images);
    for (const bucket of AGE_BUCKETS) {
      expect(ageChart).toContain(`data-bar="${escapeHtml(bucket.label)}"`);
    }
    for (const [reason, count] of Object.entries(plan.totals.byReason)) {
      if (count > 0) expect(reasonChart).toContain(`<title>${reason}: ${count} `);
      else expect(reasonChart).not.toContain(`data-bar="${reason}"`);
    }
  });

  it('says whether the limits bound', () => {
    const bound = planRetirement(
      planInput(
        policyOf({ limits: { maxDeletions: 0, maxPercent: 100 } }),
        variedPlanInput(30).inventory,
      ),
    );
    const free = planRetirement(planInput(policyOf(), []));

    expect(renderPlanReport(bound)).toContain('data-bound="true">The limits bound:');
    expect(renderPlanReport(free)).toContain('data-bound="false">The limits did not bind:');
  });
});
