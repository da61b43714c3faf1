// `cloud-images usage` in child processes against the emulator: what uses an image, for people
// and as JSON; a scan cut short by time is printed as far as it got and never reads as "not in use".

import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { usageResultSchema } from '../../lib/images/usage.js';
import { useFixture } from '../support/fixture.js';
import { type CliRun, cloudImages } from './cli-child.js';

const fixture = useFixture({ demoEnv: false });

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  cloudImages(['--emulator', fixture.url, ...args], env);

describe('cloud-images usage', () => {
  it('lists what uses the image as a table, and --json as the usage body', async () => {
    fixture.emulator.state.referenceImage('bcc', SEEDED.bcc.custom, {
      id: 'i-web00001',
      name: 'web-1',
    });
    fixture.emulator.state.referenceImage('bcc', SEEDED.bcc.custom, {
      id: 'i-web00002',
      name: 'web-2',
    });

    const people = await cli(['usage', 'bcc', SEEDED.bcc.custom]);
    const script = await cli(['usage', 'bcc', SEEDED.bcc.custom, '--json']);

    expect(people.code, people.stderr).toBe(0);
    expect(people.stdout.split('\n')).toEqual([
      'in use: bcc image m-custom01 is used by 2',
      expect.stringMatching(/^TYPE +ID +NAME +STATUS$/),
      expect.stringMatching(/^instance +i-web00001 +web-1 +Running$/),
      expect.stringMatching(/^instance +i-web00002 +web-2 +Running$/),
      '',
    ]);
    expect(script.code, script.stderr).toBe(0);
    const body = usageResultSchema.parse(script.json());
    expect(body).toMatchObject({ inUse: true, complete: true });
    expect(body.references.map((reference) => reference.id).sort()).toEqual([
      'i-web00001',
      'i-web00002',
    ]);
  });

  it('says so when nothing uses the image', async () => {
    const run = await cli(['usage', 'modelarts', SEEDED.modelarts.custom]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `not in use: no notebook or instance uses modelarts image ${SEEDED.modelarts.custom}\n`,
    );
  });

  it('a missing image is ImageNotFound', async () => {
    const run = await cli(['usage', 'bcc', 'm-absent01', '--json']);

    expect(run.code).toBe(exitStatusOfError('ImageNotFound'));
    expect(run.errorBody().error.code).toBe('IMAGE_NOT_FOUND');
  });

  it('a scan cut short prints what it read, complete false, and ends as UpstreamTimeout', async () => {
    // More instances than one upstream page (1,000), and too little time for a second page.
    fixture.emulator.seed({ bcc: { instances: 1_500 } });

    const run = await cli(['usage', 'bcc', SEEDED.bcc.custom, '--json'], {
      CLOUD_IMAGES_TIMEOUT_MS: '2000',
    });

    expect(run.code).toBe(exitStatusOfError('UpstreamTimeout'));
    const body = usageResultSchema.parse(run.json());
    expect(body.complete).toBe(false);
    expect(body.nextCursor).toEqual(expect.any(String));
    expect(run.errorBody().error.message).toMatch(/stopped before the end/);
  });
});
