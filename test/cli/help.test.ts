// `--help` for the program and every command: what each does, examples, the configuration, and
// the exit statuses exactly as exit-status.ts defines them.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitStatusTable } from '../../lib/cli/exit-status.js';
import { cloudImages, root } from './cli-child.js';

/** The commands `cloud-images --help` lists (besides `help`). */
const listedCommands = (help: string): string[] => {
  const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .map((line) => line.trim().split(' ')[0] ?? '')
    .filter((name) => name !== '' && name !== 'help');
};

describe('cloud-images --help', () => {
  it('lists the commands, examples, the configuration and every exit status', async () => {
    const run = await cloudImages(['--help']);

    expect(run.code).toBe(0);
    expect(listedCommands(run.stdout)).toEqual(
      expect.arrayContaining(['show', 'delete', 'list', 'usage', 'plan', 'apply', 'run']),
    );
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('CLOUD_IMAGES_EMULATOR');
    const statuses = run.stdout
      .split('\nExit status:\n')[1]
      ?.split('\n')
      .map((line) => /^ +(\d+) {2}(\S+)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => ({ status: Number(match[1]), name: match[2] }));
    expect(statuses).toEqual(exitStatusTable().map(({ status, name }) => ({ status, name })));
  });

  it('every command has its own help with examples of itself', async () => {
    const commands = listedCommands((await cloudImages(['--help'])).stdout);

    for (const command of commands) {
      const run = await cloudImages([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(new RegExp(`^Usage: cloud-images ${command} `));
      expect(run.stdout, command).toMatch(new RegExp(`\\n {4}\\$ cloud-images ${command} `));
      expect(run.stdout, command).toContain('--json');
    }
  });

  it('--version prints the version of package.json; no command is a usage error', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      version: string;
    };

    const printed = await cloudImages(['--version']);
    const nothing = await cloudImages([]);

    expect([printed.code, printed.stdout]).toEqual([0, `${version}\n`]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^Usage: cloud-images /);
  });

  it('no command with --json is the usage error body on stderr, and nothing else', async () => {
    // Act
    const run = await cloudImages(['--json']);

    // Assess: a script that reads stderr as JSON reads the error, not the help.
    expect([run.code, run.stdout]).toEqual([2, '']);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.errorBody().error).toMatchObject({
      code: 'USAGE_ERROR',
      message:
        'no command given; the commands: show, delete, list, usage, plan, apply, run, help (see cloud-images --help)',
    });
  });

  it('help for a command there is not is the unknown command it names: usage status, the commands listed, no help', async () => {
    // Act
    const viaHelp = await cloudImages(['help', 'nope']);
    const direct = await cloudImages(['nope']);
    const asJson = await cloudImages(['help', 'nope', '--json']);

    // Assess: one line on stderr, the same either way, with what the commands are.
    const commands = 'show, delete, list, usage, plan, apply, run, help';
    for (const run of [viaHelp, direct]) {
      expect([run.code, run.stdout]).toEqual([2, '']);
      expect(run.stderr).toBe(
        `UsageError: unknown command 'nope'; the commands: ${commands} (see cloud-images --help)\n`,
      );
    }
    expect(asJson.code).toBe(2);
    expect(asJson.errorBody().error).toMatchObject({
      code: 'USAGE_ERROR',
      message: expect.stringContaining("unknown command 'nope'"),
    });
  });

  it('help, with a command or without, is the help of --help on stdout', async () => {
    // Act
    const program = await cloudImages(['help']);
    const show = await cloudImages(['help', 'show']);

    // Assess
    expect([program.code, program.stdout]).toEqual([0, (await cloudImages(['--help'])).stdout]);
    expect([show.code, show.stdout]).toEqual([0, (await cloudImages(['show', '--help'])).stdout]);
  });
});
