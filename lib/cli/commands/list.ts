// cloud-images list PROVIDER [filters] [--limit N] [--cursor C]: the images of a region, through
// the operation the API's list route calls (lib/images/list-images.ts). With --limit or --cursor
// it is exactly one page of that route (and its nextCursor); without, it pages through to the end
// with a progress count on a terminal. A listing that runs out of time prints what it has, how to
// go on, and ends as UpstreamTimeout; one whose pages lead back to one read already ends as
// UpstreamBadResponse.

import type { Command } from 'commander';
import { UpstreamBadResponse, UpstreamTimeout } from '../../errors/errors.js';
import type { Image } from '../../images/image.js';
import {
  type ImageList,
  listImages,
  MAX_LIST_LIMIT,
  SCAN_RESERVE_MS,
} from '../../images/list-images.js';
import { findCloud } from '../../providers/registry.js';
import { listQuerySchema } from '../../triggers/http.js';
import { type ListInput, listInputSchema, parseInput } from '../../validation/inputs.js';
import { examples } from '../help.js';
import type { Paint } from '../output/colour.js';
import { statusText } from '../output/image.js';
import { printable } from '../output/printable.js';
import { startCounter } from '../output/progress.js';
import { columns } from '../output/table.js';
import type { Session } from '../session.js';
import { addToList, COMMAND_LINE_NAMES, providerArgument, regionOptions } from './arguments.js';
import type { Runner } from './runner.js';

export interface ListFlags {
  region?: string;
  endpoint?: string;
  kind?: string;
  status?: string;
  name?: string;
  createdBefore?: string;
  createdAfter?: string;
  limit?: string;
  cursor?: string;
}

/** `2024-03-01 08:00` (UTC): enough to tell images apart by age in a table. */
const shortTime = (iso: string | undefined): string =>
  iso === undefined ? '' : iso.slice(0, 16).replace('T', ' ');

const imageTable = (images: readonly Image[], paint: Paint): string =>
  columns(
    ['ID', 'NAME', 'KIND', 'STATUS', 'CREATED (UTC)'].map((title) => paint.bold(title)),
    images.map((image) => [
      // A listed ID is the cloud's word (only a show checks it against the one asked for).
      printable(image.id),
      printable(image.name),
      image.kind,
      statusText(image.status, paint),
      shortTime(image.createdAt),
    ]),
  );

const humanList = (list: ImageList, where: string, session: Session): string => {
  const { out } = session.output;
  if (list.images.length === 0) return `${out.dim(`no images ${where}`)}\n`;
  const count = `${list.images.length} image${list.images.length === 1 ? '' : 's'}`;
  return `${imageTable(list.images, out)}${out.dim(`${count} ${where}`)}\n`;
};

/** `of bcc in bj`: the region as the operation resolved it (the default when none was given). */
const whereOf = (input: ListInput, region: string | undefined): string =>
  `of ${input.provider}${region === undefined ? '' : ` in ${region}`}`;

/** The flags as the list input (the API's query, typed): validated by listInputSchema. */
const inputOf = (provider: string, flags: ListFlags): Record<string, unknown> => ({
  provider,
  region: flags.region,
  kind: flags.kind,
  status: flags.status?.split(',').map((status) => status.trim()),
  name: flags.name,
  createdBefore: flags.createdBefore,
  createdAfter: flags.createdAfter,
  // A whole number, as the API's query reads it (`0x10`, `1e2` or ` 7` are refused, not guessed).
  limit:
    flags.limit === undefined
      ? undefined
      : parseInput(listQuerySchema(), { limit: flags.limit }, COMMAND_LINE_NAMES).limit,
  cursor: flags.cursor,
});

export const list = async (session: Session, provider: string, flags: ListFlags): Promise<void> => {
  const input = parseInput(listInputSchema(), inputOf(provider, flags), COMMAND_LINE_NAMES);
  session.useEndpoint(input.provider, flags.endpoint);
  const invocation = session.invocation('list');
  const { output } = session;
  const onePage = input.limit !== undefined || input.cursor !== undefined;

  if (onePage) {
    const page = await listImages(input, invocation);
    output.result(page, () => humanList(page, whereOf(input, invocation.context.region), session));
    if (page.nextCursor !== undefined) {
      output.note(`the next page: the same command with --cursor ${page.nextCursor}`);
    }
    return;
  }

  // Everything, in the largest pages the API allows.
  const request = { ...input, limit: MAX_LIST_LIMIT };
  const counter = startCounter(output, `listing ${input.provider} images`);
  const images: Image[] = [];
  let cursor: string | undefined;
  // The cursors followed: each call refuses a page it read already (next markers in a loop), but
  // a loop of pages each ending a call at its end goes from call to call, and a cursor to a page's
  // start is the same text each time.
  const followed = new Set<string>();
  try {
    do {
      let page: ImageList;
      try {
        page = await listImages({ ...request, cursor }, invocation);
      } catch (error) {
        // A later page out of time: what was listed is printed, with the cursor of the page that
        // did not come (it threw it all away before).
        if (cursor !== undefined && error instanceof UpstreamTimeout) break;
        throw error;
      }
      images.push(...page.images);
      counter.update(images.length);
      cursor = page.nextCursor;
      if (cursor !== undefined && followed.has(cursor)) {
        throw new UpstreamBadResponse(
          `${findCloud(input.provider)?.label ?? input.provider} answered a list whose next page leads back to one it read already: the list would never end`,
        );
      }
      if (cursor !== undefined) followed.add(cursor);
    } while (cursor !== undefined && invocation.deadline.remainingMs() > SCAN_RESERVE_MS);
  } finally {
    counter.stop();
  }
  const all: ImageList = cursor === undefined ? { images } : { images, nextCursor: cursor };
  output.result(all, () => humanList(all, whereOf(input, invocation.context.region), session));
  if (cursor !== undefined) {
    throw new UpstreamTimeout(
      `the listing stopped after ${images.length} images for lack of time; go on with --limit ${MAX_LIST_LIMIT} --cursor ${cursor} (or allow more time with CLOUD_IMAGES_TIMEOUT_MS)`,
    );
  }
};

export const registerList = (program: Command, run: Runner): void => {
  const command = program
    .command('list')
    .summary('list the images of a region')
    .description(
      'Lists the images of one provider and region, filtered. Without --limit or --cursor it pages through to the end; with either, it prints one page of the API (and the cursor of the next).',
    )
    .addArgument(providerArgument());
  regionOptions(command)
    .option('--kind <kind>', 'custom, system, shared or other')
    .option(
      '--status <list>',
      'one or more statuses, comma-separated or the flag again (available,failed,...)',
      addToList,
    )
    .option('--name <glob>', 'names matching a glob: * any run of characters, ? one')
    .option('--created-before <time>', 'created before this ISO 8601 date or date-time')
    .option('--created-after <time>', 'created after this ISO 8601 date or date-time')
    .option('--limit <n>', `one page of at most n images (1 to ${MAX_LIST_LIMIT})`)
    .option(
      '--cursor <cursor>',
      "the page after the one that printed this cursor (with that page's filters and --limit)",
    )
    .addHelpText(
      'after',
      examples([
        ['cloud-images list bcc', 'Every image of the default region, as a table'],
        [
          "cloud-images list modelarts --kind custom --name 'train-*' --created-before 2026-01-01",
          'Custom images named train-*, made before 2026',
        ],
        [
          "cloud-images list bcc --status failed,error --json | jq -r '.images[].id'",
          'For scripts: the IDs of failed images',
        ],
        [
          'cloud-images list bcc --limit 50 --json',
          "One page of the API's list route, with nextCursor",
        ],
      ]),
    )
    .action((provider: string, flags: ListFlags, self: Command) =>
      run((session) => list(session, provider, flags), self),
    );
};
