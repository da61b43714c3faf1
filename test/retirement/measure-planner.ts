// A measurement, not a test (tests never assert times): how long the planner and the HTML report
// take over a generated inventory, and how large the plan's JSON and the report are.
//
//   bash scripts/node24.sh node --import tsx test/retirement/measure-planner.ts [images=10000] [rounds=7]
//
// Timings depend on the machine and its load; the median of the rounds is printed.

import { performance } from 'node:perf_hooks';
import { planRetirement } from '../../lib/retirement/planner.js';
import { renderPlanReport } from '../../lib/retirement/report-html.js';
import { variedPlanInput } from './fixtures.js';

const images = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 7);
const input = variedPlanInput(images);

const median = (values: number[]): number => {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const timed = <T>(run: () => T): { value: T; ms: number[] } => {
  const ms: number[] = [];
  let value = run(); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    value = run();
    ms.push(performance.now() - started);
  }
  return { value, ms };
};

const planning = timed(() => planRetirement(input));
const reporting = timed(() => renderPlanReport(planning.value));
const json = JSON.stringify(planning.value);

console.log(`images ${images}, rounds ${rounds} (median)`);
console.log(`planRetirement   ${median(planning.ms).toFixed(1)} ms`);
console.log(`renderPlanReport ${median(reporting.ms).toFixed(1)} ms`);
console.log(`plan JSON        ${(Buffer.byteLength(json) / 1e6).toFixed(2)} MB`);
console.log(`report HTML      ${(Buffer.byteLength(reporting.value) / 1e6).toFixed(2)} MB`);
console.log(`totals           ${JSON.stringify(planning.value.totals)}`);
