// readRun(runId) → the run and every outcome so far: what GET /retirements/runs/{runId} answers and
// `cloud-images run` shows, from whichever run store the caller keeps runs in. A run not stored is
// PlanNotFound (the error table's name for a plan or run with no record).

import { PlanNotFound } from '../errors/errors.js';
import type { RunDocument, RunStore } from './ports.js';

/** The run (its ID validated by the caller); `where` names the store for the message, if any. */
export const readRun = async (
  runId: string,
  runs: Pick<RunStore, 'read'>,
  where?: string,
): Promise<RunDocument> => {
  const document = await runs.read(runId);
  if (document === undefined) {
    throw new PlanNotFound(`no run ${runId} is stored${where === undefined ? '' : ` in ${where}`}`);
  }
  return document;
};
