// The local delete queue of `npm start` (scripts/local-queue.ts): a folder of message files worked
// through the real SQS consumer. What it does with a file it did not write itself (cut short, or
// put there by hand), against the emulator.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { localQueueDir } from '../../lib/stores/local-delete-queue.js';
import { drainLocalQueue } from '../../scripts/local-queue.js';
import { useFixture } from '../support/fixture.js';

const store = await mkdtemp(join(tmpdir(), 'cif-local-queue-'));

const fixture = useFixture({ env: { RETIREMENT_STORE_DIR: store } });

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const filesIn = async (folder: string): Promise<string[]> =>
  (await readdir(folder).catch(() => [])).filter((name) => name.endsWith('.json')).sort();

describe('the local delete queue', () => {
  it('moves a file that holds no message to queue/dead/ and works the others, and takes a message from the file it is in, whatever its name', async () => {
    // Prepare: a file cut short, and a message in a file not named after its messageId.
    const pending = localQueueDir(store);
    await drainLocalQueue({ dir: store });
    await writeFile(join(pending, 'a-cut-short.json'), '{"messageId":"m-1","bo');
    await writeFile(
      join(pending, 'by-hand.json'),
      JSON.stringify({
        messageId: 'm-by-hand',
        body: JSON.stringify({ provider: 'bcc', imageId: SEEDED.bcc.custom }),
        receiveCount: 0,
      }),
    );

    // Act: three rounds at most (each delivers every waiting message once).
    const drained = await drainLocalQueue({ dir: store, rounds: 3 });

    // Assess: the message was delivered once and its file is gone; the broken file is dead-lettered.
    expect(drained).toMatchObject({ batches: 1, processed: 1, failed: 0, dead: 1 });
    expect(await filesIn(pending)).toEqual([]);
    expect(await filesIn(join(store, 'queue', 'dead'))).toEqual(['a-cut-short.json']);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(false);
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });
});
