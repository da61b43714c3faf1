// The HTML report in a real browser: Debian's Chromium (headless, driven by playwright-core) loads
// the report of a generated plan from a loopback server, as the service will serve it (with its
// Content-Security-Policy header too). It must render with no console message of any kind, request
// nothing but the document, show the plan's totals, sort on a header click, filter, run no script
// from the plan's data, and leave a screenshot at test-results/plan-report.png.
//
// Chromium is required: `.ci/run` installs it when missing (`apt-get install -y chromium`).

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../lib/retirement/plan.js';
import { planRetirement } from '../../lib/retirement/planner.js';
import {
  REPORT_CONTENT_SECURITY_POLICY,
  REPORT_PAGE_ROWS,
  renderPlanReport,
} from '../../lib/retirement/report-html.js';
import { variedPlanInput } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCREENSHOT = join(root, 'test-results', 'plan-report.png');

const plan: Plan = planRetirement(variedPlanInput(150));
/** A plan with more decisions than the table shows at first. */
const large: Plan = planRetirement(variedPlanInput(REPORT_PAGE_ROWS * 5 + 37));
const documents: Record<string, string> = {
  '/plan': renderPlanReport(plan),
  '/large': renderPlanReport(large),
};

let browser: Browser;
let server: Server;
let origin: string;
let reportUrl: string;
/** Every path the server was asked for, by anyone. */
const served: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (.ci/run does this in CI)`,
    );
  }
  server = createServer((request, response) => {
    served.push(request.url ?? '');
    const html = Object.hasOwn(documents, request.url ?? '')
      ? documents[request.url ?? '']
      : undefined;
    if (html === undefined) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': REPORT_CONTENT_SECURITY_POLICY,
      })
      .end(html);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  reportUrl = `${origin}/plan`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  // With no Chromium no server was started (beforeAll refused first): there is nothing to close,
  // and waiting for a close that never comes held the suite for the hook's whole timeout.
  const started: Server | undefined = server;
  await new Promise<void>((closed) => (started ? started.close(() => closed()) : closed()));
});

interface Opened {
  page: Page;
  console: string[];
  errors: string[];
  requests: string[];
  dialogs: string[];
}

/** The report in a fresh page, with everything it says or asks for recorded. */
const openReport = async (path = '/plan'): Promise<Opened> => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const opened: Opened = { page, console: [], errors: [], requests: [], dialogs: [] };
  page.on('console', (message) => opened.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => opened.errors.push(error.message));
  page.on('request', (request) => opened.requests.push(request.url()));
  page.on('dialog', (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${origin}${path}`, { waitUntil: 'load' });
  return opened;
};

const columnTexts = (page: Page, column: number): Promise<string[]> =>
  page.$$eval(`#decisions tbody tr:not([hidden]) td:nth-child(${column})`, (cells) =>
    cells.map((cell) => cell.textContent ?? ''),
  );

describe('the plan report in Chromium', () => {
  it('renders with no console message, no script error, and requests nothing but itself', async () => {
    const opened = await openReport();
    // Anything late (a blocked fetch, a CSP report) is on the network before it falls quiet.
    await opened.page.waitForLoadState('networkidle');

    expect(opened.console).toEqual([]);
    expect(opened.errors).toEqual([]);
    expect(opened.dialogs).toEqual([]);
    expect(opened.requests).toEqual([reportUrl]);
    expect(served.filter((path) => !Object.hasOwn(documents, path))).toEqual([]);
    expect(await opened.page.title()).toBe(`Retirement plan ${plan.planId} (test-policy)`);
    await opened.page.close();
  });

  it("shows the JSON plan's totals, and a row per decision", async () => {
    // Prepare: the fixture's plan has every kind of decision (else a kind's rows go unchecked).
    expect(Math.min(plan.totals.retire, plan.totals.keep, plan.totals.deferred)).toBeGreaterThan(0);
    const { page } = await openReport();

    const totals = await page.$eval('#totals', (section) =>
      Object.fromEntries(
        section
          .getAttributeNames()
          .map((name: string) => [name, Number(section.getAttribute(name))]),
      ),
    );
    const rowsByDecision = await page.$$eval('#decisions tbody tr', (rows) =>
      rows.reduce<Record<string, number>>((counts, row) => {
        counts[row.className] = (counts[row.className] ?? 0) + 1;
        return counts;
      }, {}),
    );
    const cards = await page.$$eval('.card b', (numbers) => numbers.map((b) => b.textContent));

    expect(totals).toMatchObject({
      'data-total-images': plan.totals.images,
      'data-total-retire': plan.totals.retire,
      'data-total-keep': plan.totals.keep,
      'data-total-deferred': plan.totals.deferred,
      ...Object.fromEntries(
        Object.entries(plan.totals.byReason).map(([reason, count]) => [
          `data-reason-${reason}`,
          count,
        ]),
      ),
    });
    expect(rowsByDecision).toEqual({
      retire: plan.totals.retire,
      keep: plan.totals.keep,
      deferred: plan.totals.deferred,
    });
    expect(cards.slice(0, 4)).toEqual(
      [plan.totals.images, plan.totals.retire, plan.totals.deferred, plan.totals.keep].map(String),
    );
    await page.close();
  });

  it('sorts the table by a clicked header (the image: name, then ID), ascending then descending', async () => {
    const { page } = await openReport();
    const before = await columnTexts(page, 3);
    const byName = [...before].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));

    await page.click('#decisions th:nth-child(3) button');
    const ascending = await columnTexts(page, 3);
    await page.click('#decisions th:nth-child(3) button');
    const descending = await columnTexts(page, 3);

    expect(ascending).not.toEqual(before);
    expect(ascending).toEqual(byName);
    expect(descending).toEqual([...byName].reverse());
    expect(await page.getAttribute('#decisions th:nth-child(3)', 'aria-sort')).toBe('descending');
    await page.close();
  });

  it('sorts numbers as numbers (age), unknown ages last', async () => {
    const { page } = await openReport();

    await page.click('#decisions th:nth-child(8) button');
    const ages = await columnTexts(page, 8);

    const known = ages.filter((age) => age !== 'unknown').map(Number);
    expect(known).toEqual([...known].sort((left, right) => left - right));
    expect(ages.slice(known.length).every((age) => age === 'unknown')).toBe(true);
    await page.close();
  });

  it('filters by text and by decision', async () => {
    const { page } = await openReport();

    await page.selectOption('#only', 'retire');
    const retired = await columnTexts(page, 1);
    const shownRetired = await page.textContent('#shown');
    await page.selectOption('#only', '');
    await page.fill('#filter', 'serve-api');
    const images = await columnTexts(page, 3);

    expect(retired).toHaveLength(plan.totals.retire);
    expect(new Set(retired)).toEqual(new Set(plan.totals.retire > 0 ? ['retire'] : []));
    expect(shownRetired).toBe(String(plan.totals.retire));
    expect(images.length).toBeGreaterThan(0);
    expect(images.every((image) => image.startsWith('serve-api'))).toBe(true);
    await page.close();
  });

  it('leaves a screenshot at test-results/plan-report.png', async () => {
    const { page } = await openReport();
    mkdirSync(join(root, 'test-results'), { recursive: true });

    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    await page.close();
  });
});

describe('a plan larger than a page of the table', () => {
  const rowCount = (page: Page): Promise<number> =>
    page.$$eval('#decisions tbody tr', (rows) => rows.length);

  it('shows a page of rows at first, the next page and then all on request', async () => {
    const { page, console, errors } = await openReport('/large');

    const first = await rowCount(page);
    const firstCounts = [await page.textContent('#shown'), await page.textContent('#matching')];
    await page.click('#more');
    const second = await rowCount(page);
    await page.click('#all');
    const rowsByDecision = await page.$$eval('#decisions tbody tr', (rows) =>
      rows.reduce<Record<string, number>>((counts, row) => {
        counts[row.className] = (counts[row.className] ?? 0) + 1;
        return counts;
      }, {}),
    );
    const buttonsHidden = await page.$$eval('#more, #all', (buttons) =>
      buttons.map((button) => button.hasAttribute('hidden')),
    );

    expect(first).toBe(REPORT_PAGE_ROWS);
    expect(firstCounts).toEqual([String(REPORT_PAGE_ROWS), String(large.decisions.length)]);
    expect(second).toBe(2 * REPORT_PAGE_ROWS);
    expect(rowsByDecision).toEqual({
      retire: large.totals.retire,
      keep: large.totals.keep,
      deferred: large.totals.deferred,
    });
    expect(buttonsHidden).toEqual([true, true]);
    expect([...console, ...errors]).toEqual([]);
    await page.close();
  });

  it('keeps keyboard focus on the rows a last Show more or Show all added, not the page top', async () => {
    // Prepare: the keyboard on the buttons (a plan of five pages and a bit).
    const { page } = await openReport('/large');
    /** The index of the focused row, -1 when focus is on no row. */
    const focusedRow = () =>
      page.$$eval('#decisions tbody tr', (rows) => rows.findIndex((row) => row.matches(':focus')));
    await page.focus('#more');

    // Act: Show more once (the button stays), then Show all (the buttons go).
    await page.keyboard.press('Enter');
    const afterMore = await page.$eval('#more', (more) => more.matches(':focus'));
    await page.focus('#all');
    await page.keyboard.press('Enter');
    const afterAll = await focusedRow();

    // Assess
    expect(afterMore).toBe(true);
    expect(afterAll).toBe(2 * REPORT_PAGE_ROWS);
    expect(await page.$eval('#shown', (shown) => shown.closest('[role=status]') !== null)).toBe(
      true,
    );
    await page.close();
  });

  it('starts again at the first page on a new filter or sort after Show all', async () => {
    // Prepare: every row shown.
    const { page } = await openReport('/large');
    await page.click('#all');
    const allShown = await rowCount(page);

    // Act
    await page.fill('#filter', 'train');
    const matching = Number(await page.textContent('#matching'));
    const filtered = [await rowCount(page), await page.textContent('#shown')];
    // Show all again (a click on the element: the button is hidden when all are shown already).
    await page.$eval('#all', (all) => (all as unknown as { click: () => void }).click());
    await page.click('#decisions th:nth-child(8) button');
    const sorted = await rowCount(page);

    // Assess: the filter matches more than a page (else the page would hide nothing).
    expect(allShown).toBe(large.decisions.length);
    expect(matching).toBeGreaterThan(REPORT_PAGE_ROWS);
    expect(filtered).toEqual([REPORT_PAGE_ROWS, String(REPORT_PAGE_ROWS)]);
    expect(sorted).toBe(REPORT_PAGE_ROWS);
    expect(await page.isVisible('#more')).toBe(true);
    await page.close();
  });

  it('filters every decision, not only the page shown', async () => {
    // Prepare: a decision far beyond the first page.
    const last = large.decisions.at(-1);
    if (last === undefined) throw new Error('the large plan has no decisions');
    const { page } = await openReport('/large');

    await page.fill('#filter', last.image.id);
    const ids = await page.$$eval('#decisions tbody tr td:nth-child(3) code', (codes) =>
      codes.map((code) => code.textContent),
    );
    await page.fill('#filter', '');
    await page.selectOption('#only', 'retire');
    const retired = await columnTexts(page, 1);
    const matching = await page.textContent('#matching');

    expect(ids).toEqual([last.image.id]);
    expect(matching).toBe(String(large.totals.retire));
    expect(retired).toHaveLength(Math.min(REPORT_PAGE_ROWS, large.totals.retire));
    expect(new Set(retired)).toEqual(new Set(['retire']));
    await page.close();
  });

  it('sorts every decision: the first page after a sort is the first of the whole plan', async () => {
    const ages = large.decisions
      .map((decision) => decision.image.createdAt)
      .filter((created) => created !== undefined)
      .map((created) =>
        Math.floor((Date.parse(large.createdAt) - Date.parse(created)) / 86_400_000),
      )
      .sort((left, right) => left - right);
    const { page } = await openReport('/large');

    await page.click('#decisions th:nth-child(8) button');
    const youngestFirst = (await columnTexts(page, 8)).map(Number);

    expect(youngestFirst).toEqual(ages.slice(0, REPORT_PAGE_ROWS));
    await page.close();
  });

  it.each([
    ['age', 8, 'unknown'],
    ['size', 9, ''],
  ] as const)(
    'sorts by %s descending with the unknown ones last, as ascending does',
    async (_column, column, unknown) => {
      // Prepare: the plan has decisions of unknown age and of unknown size.
      const { page } = await openReport('/large');

      // Act: the column sorted ascending, then descending; every row shown.
      await page.click(`#decisions th:nth-child(${column}) button`);
      await page.click(`#decisions th:nth-child(${column}) button`);
      const firstPage = await columnTexts(page, column);
      await page.click('#all');
      const every = await columnTexts(page, column);

      // Assess
      const known = every.filter((text) => text !== unknown);
      expect(known.length).toBeLessThan(every.length);
      expect(every.slice(known.length).every((text) => text === unknown)).toBe(true);
      expect(firstPage).not.toContain(unknown);
      if (column === 8) {
        const ages = known.map(Number);
        expect(ages).toEqual([...ages].sort((left, right) => right - left));
      }
      await page.close();
    },
  );

  it("writes each chart's counts inside the chart", async () => {
    const { page } = await openReport('/large');

    const overflows = await page.$$eval('svg.chart', (charts) =>
      charts.flatMap((chart) => {
        const svg = chart as unknown as {
          viewBox: { baseVal: { width: number } };
          querySelectorAll: (selector: string) => ArrayLike<unknown>;
        };
        const width = svg.viewBox.baseVal.width;
        return Array.from(svg.querySelectorAll('text.count'), (text) => {
          const box = (text as { getBBox: () => { x: number; width: number } }).getBBox();
          return {
            text: (text as { textContent: string }).textContent,
            right: box.x + box.width,
            width,
          };
        }).filter((count) => count.right > count.width);
      }),
    );

    expect(overflows).toEqual([]);
    await page.close();
  });

  it('shows a hostile name as the text it is', async () => {
    const hostile = '<script>alert("name")</script>';
    expect(large.decisions.some((decision) => decision.image.name === hostile)).toBe(true);
    const { page, dialogs } = await openReport('/large');

    await page.fill('#filter', 'alert("name")');
    const names = await page.$$eval('#decisions tbody tr td:nth-child(3)', (cells) =>
      cells.map((cell) => cell.firstChild?.textContent),
    );

    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set([hostile]));
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
