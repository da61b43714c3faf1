// A retirement plan for people: what it would retire, defer and keep, why, the limits and the
// warnings; and its self-contained HTML report (lib/retirement/report-html.ts) written to a file.

import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeFolder } from '../../files/make-folder.js';
import { type Plan, REASON_PRECEDENCE } from '../../retirement/plan.js';
import { renderPlanReport } from '../../retirement/report-html.js';
import type { Paint } from './colour.js';
import { printable } from './printable.js';
import { columns } from './table.js';

export const planSummary = (plan: Plan, paint: Paint): string => {
  const { totals, limits, policy } = plan;
  const lines = [
    `${paint.bold(`plan ${plan.planId}`)} of policy ${printable(policy.name)} (${policy.provider}: ${policy.regions.join(', ')})`,
    `  ${totals.images} images: ${paint.red(`${totals.retire} to retire`)}, ${paint.yellow(`${totals.deferred} deferred`)}, ${paint.green(`${totals.keep} kept`)}`,
  ];
  if (limits.bound) {
    lines.push(
      `  the limits allow ${limits.allowed} of the ${limits.wouldRetire} it would retire; the oldest go first, the rest wait for a later plan`,
    );
  }
  const reasons = REASON_PRECEDENCE.filter((reason) => totals.byReason[reason] > 0);
  const table = columns(
    ['REASON', 'IMAGES'].map((title) => paint.bold(title)),
    reasons.map((reason) => [reason, String(totals.byReason[reason])]),
  );
  const warnings = plan.warnings.map(
    (warning) => `${paint.yellow('warning:')} ${printable(warning)}`,
  );
  return `${lines.join('\n')}\n${table
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n')}${warnings.length > 0 ? `${warnings.join('\n')}\n` : ''}`;
};

/** Writes the plan's HTML report to `path` (its folder made when missing). */
export const writePlanReport = async (plan: Plan, path: string): Promise<void> => {
  await makeFolder(dirname(path));
  await writeFile(path, renderPlanReport(plan), 'utf8');
};
