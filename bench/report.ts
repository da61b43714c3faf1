// The plan's HTML report at size, as a person meets it: the plan of 10,000 images the inventory
// section made (a real plan: the emulator's images and their usage through the plan route), its
// report rendered by this tree and by each `--refs` commit's own renderer, each opened in Debian's
// Chromium (headless, driven by playwright-core) from a loopback server, then sorted by age and
// filtered. Each action is timed from the click (or keystroke) to the next painted frame, median of
// a few rounds, against the same action on a blank page with a button (the browser's own floor):
// the ratios compare renderers in the same rounds; the milliseconds move with the machine.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { Plan } from '../lib/retirement/plan.js';
import { median } from './lib/stats.js';

const CHROMIUM = '/usr/bin/chromium';

/** A renderer: this tree's, or a commit's from its own checkout. */
export interface ReportRenderer {
  readonly name: string;
  readonly render: (plan: Plan) => string;
  readonly contentSecurityPolicy: string;
}

export interface ReportTiming {
  renderer: string;
  htmlBytes: number;
  /** Navigation to the first frame painted after the load event. */
  openMs: number;
  sortMs: number;
  filterMs: number;
  /** Rows in the table after opening. */
  rowsShown: number;
}

export interface ReportFigures {
  decisions: number;
  rounds: number;
  blank: { openMs: number; clickMs: number };
  renderers: ReportTiming[];
}

/** The renderer of the tree at `treeDir` (a checkout with node_modules). */
export const rendererAt = async (name: string, treeDir: string): Promise<ReportRenderer> => {
  const module = (await import(
    pathToFileURL(join(treeDir, 'lib', 'retirement', 'report-html.ts')).href
  )) as {
    renderPlanReport: (plan: Plan) => string;
    REPORT_CONTENT_SECURITY_POLICY: string;
  };
  return {
    name,
    render: module.renderPlanReport,
    contentSecurityPolicy: module.REPORT_CONTENT_SECURITY_POLICY,
  };
};

/** The one plan a plan run stored in `storeDir` (plans/<planId>.json). */
export const storedPlan = async (storeDir: string): Promise<Plan> => {
  const files = (await readdir(join(storeDir, 'plans'))).filter((file) => file.endsWith('.json'));
  if (files.length !== 1)
    throw new Error(`expected one plan in ${storeDir}, found ${files.length}`);
  return JSON.parse(await readFile(join(storeDir, 'plans', files[0] as string), 'utf8')) as Plan;
};

const BLANK =
  '<!doctype html><html><body><button id="b">b</button><script>document.getElementById("b").addEventListener("click",()=>{document.body.append("x")})</script></body></html>';

/** Resolves at the first frame painted after whatever the page is doing now. */
const nextFrame = (page: Page): Promise<unknown> =>
  page.evaluate('new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0)))');

const timed = async (act: () => Promise<unknown>, page: Page): Promise<number> => {
  const started = performance.now();
  await act();
  await nextFrame(page);
  return performance.now() - started;
};

export const reportSection = async (
  plan: Plan,
  renderers: readonly ReportRenderer[],
  rounds: number,
  log: (line: string) => void,
): Promise<ReportFigures> => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `report: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`,
    );
  }
  const documents = new Map<string, { html: string; csp: string }>();
  documents.set('/blank', { html: BLANK, csp: "default-src 'none'; script-src 'unsafe-inline'" });
  for (const renderer of renderers) {
    documents.set(`/${renderer.name}`, {
      html: renderer.render(plan),
      csp: renderer.contentSecurityPolicy,
    });
  }
  const server: Server = createServer((request, response) => {
    const served = documents.get(request.url ?? '');
    if (served === undefined) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': served.csp,
      })
      .end(served.html);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const open = async (path: string): Promise<{ page: Page; openMs: number }> => {
      const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
      // The old report took tens of seconds a click under load: wait for it rather than fail.
      page.setDefaultTimeout(300_000);
      const openMs = await timed(
        () => page.goto(`${origin}${path}`, { waitUntil: 'load', timeout: 300_000 }),
        page,
      );
      return { page, openMs };
    };
    const blankOpen: number[] = [];
    const blankClick: number[] = [];
    const samples = new Map(renderers.map((renderer) => [renderer.name, [] as ReportTiming[]]));
    // Rounds interleave the subjects, so that a change in the machine's load falls on all alike.
    for (let round = 0; round < rounds; round += 1) {
      const blank = await open('/blank');
      blankOpen.push(blank.openMs);
      blankClick.push(await timed(() => blank.page.click('#b'), blank.page));
      await blank.page.close();
      for (const renderer of renderers) {
        const { page, openMs } = await open(`/${renderer.name}`);
        const rowsShown = await page.$$eval(
          '#decisions tbody tr:not([hidden])',
          (rows) => rows.length,
        );
        const sortMs = await timed(() => page.click('#decisions th:nth-child(8) button'), page);
        const filterMs = await timed(() => page.fill('#filter', '1'), page);
        await page.close();
        samples.get(renderer.name)?.push({
          renderer: renderer.name,
          htmlBytes: Buffer.byteLength(documents.get(`/${renderer.name}`)?.html ?? ''),
          openMs,
          sortMs,
          filterMs,
          rowsShown,
        });
        log(
          `report: round ${round + 1}/${rounds} ${renderer.name}: open ${openMs.toFixed(0)} ms, sort ${sortMs.toFixed(0)} ms, filter ${filterMs.toFixed(0)} ms`,
        );
      }
    }
    return {
      decisions: plan.decisions.length,
      rounds,
      blank: { openMs: median(blankOpen), clickMs: median(blankClick) },
      renderers: renderers.map((renderer) => {
        const runs = samples.get(renderer.name) ?? [];
        return {
          renderer: renderer.name,
          htmlBytes: runs[0]?.htmlBytes ?? 0,
          openMs: median(runs.map((run) => run.openMs)),
          sortMs: median(runs.map((run) => run.sortMs)),
          filterMs: median(runs.map((run) => run.filterMs)),
          rowsShown: runs[0]?.rowsShown ?? 0,
        };
      }),
    };
  } finally {
    await browser?.close();
    await new Promise<void>((closed) => server.close(() => closed()));
  }
};
