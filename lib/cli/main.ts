// The `cloud-images` program: commander parses the command line, each command (commands/*.ts)
// parses its input with lib/validation, calls the one operation the functions call, and renders
// its result; failures become the error's name, message and advice, and an exit status per name.

import { randomUUID } from 'node:crypto';
import { Command, CommanderError } from 'commander';
import { UsageError } from './cli-errors.js';
import { registerApply } from './commands/apply.js';
import { refuseRepeatedFlags } from './commands/arguments.js';
import { registerDelete } from './commands/delete.js';
import { registerList } from './commands/list.js';
import { registerPlan } from './commands/plan.js';
import { registerRun } from './commands/run.js';
import type { Runner } from './commands/runner.js';
import { registerShow } from './commands/show.js';
import { registerUsage } from './commands/usage.js';
import { EXIT_OK, EXIT_USAGE } from './exit-status.js';
import { environmentHelp, examples, exitStatusHelp, flagsHelp } from './help.js';
import { reportFailure } from './output/failure.js';
import type { Output } from './output/output.js';
import { type CliHost, type GlobalFlags, outputFor, startSession } from './session.js';

export type { CliHost } from './session.js';

/** The global flags as written, for a failure found before commander could parse them. */
const flagsFromArgv = (argv: readonly string[]): GlobalFlags => {
  const before = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  return {
    json: before.includes('--json'),
    quiet: before.includes('--quiet') || before.includes('-q'),
    color: !before.includes('--no-color'),
  };
};

const buildProgram = (host: CliHost, version: string, run: Runner, flags: GlobalFlags): Command => {
  const program = new Command('cloud-images')
    .description(
      'Show, list and delete machine images at Huawei Cloud ModelArts and Baidu BCC, find what uses them, and plan and apply retirement policies: the operations and configuration of the cloud-image-functions API, from a terminal or a script.',
    )
    .version(version, '--version', 'print the version')
    .option(
      '--json',
      "print the result as the HTTP API's JSON body (errors: its error body, on stderr)",
    )
    .option('-q, --quiet', 'print no result, note or progress: only errors (the exit status tells)')
    .option(
      '--no-color',
      'no colour (also NO_COLOR=1; there is none when output is not a terminal)',
    )
    .option(
      '--emulator <url>',
      'use the provider emulator at <url> (the one npm start runs) with its demo credentials, for every provider',
    )
    .option('--verbose', 'log lines (LOG_LEVEL=debug) and stacks on stderr')
    // Each command's help lists --json, --emulator and the others too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => host.streams.stdout.write(text),
      // Only the help shown for a missing command comes here: with --json, stderr is the error
      // body alone (runCli reports it).
      writeErr: (text) => (flags.json === true ? undefined : host.streams.stderr.write(text)),
      // Told by reportFailure instead (with --json as an error body).
      outputError: () => undefined,
    })
    .addHelpText(
      'after',
      `${examples([
        [
          'cloud-images --emulator http://127.0.0.1:4010 show bcc m-custom01',
          'Against the provider emulator (EMULATOR_PORT=4010 npm start), no cloud account',
        ],
        [
          'cloud-images delete modelarts c9ab2b2f-edda-4556-bdbb-494e868d043c --dry-run',
          'Would it be deleted? Exit status 0, or the reason',
        ],
        [
          'cloud-images show bcc m-custom01 --region gz --json | jq .image.status',
          "For scripts: the HTTP API's JSON",
        ],
      ])}${flagsHelp()}${environmentHelp()}${exitStatusHelp()}`,
    );
  registerShow(program, run);
  registerDelete(program, run);
  registerList(program, run);
  registerUsage(program, run);
  registerPlan(program, run);
  registerApply(program, run);
  registerRun(program, run);
  registerHelp(program);
  refuseRepeatedFlags(program);
  return program;
};

/** The commands, as an unknown one's message lists them. */
const commandNames = (program: Command): string =>
  program.commands.map((command) => command.name()).join(', ');

/** Said the same whether the command was run (`cloud-images nope`) or asked about (`help nope`). */
const unknownCommand = (program: Command, message: string): UsageError =>
  new UsageError(`${message}; the commands: ${commandNames(program)} (see cloud-images --help)`);

/**
 * `help [command]`, in place of commander's: its `help nope` printed the program's help with no
 * word about nope. Here that is the unknown command it names.
 */
const registerHelp = (program: Command): void => {
  program.helpCommand(false);
  program
    .command('help')
    .description('display help for command')
    .argument('[command]', 'the command to show the help of')
    .action((name: string | undefined) => {
      if (name === undefined) program.help();
      const command = program.commands.find((each) => each.name() === name);
      if (command === undefined) throw unknownCommand(program, `unknown command '${name}'`);
      command.help();
    });
};

/** Runs one command line; resolves with the exit status. */
export const runCli = async (
  argv: readonly string[],
  host: CliHost,
  version: string,
): Promise<number> => {
  const requestId = randomUUID();
  const written = flagsFromArgv(argv);
  let output: Output = outputFor(host, written);
  let verbose = false;
  const run: Runner = async (action, command) => {
    const flags = command.optsWithGlobals<GlobalFlags>();
    output = outputFor(host, flags);
    verbose = flags.verbose === true;
    await action(startSession(host, flags, requestId, output));
  };
  const program = buildProgram(host, version, run, written);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end this way too, with status 0.
      if (error.exitCode === 0) return EXIT_OK;
      // No command: the help is already on stderr, unless --json asks for the error body.
      if (error.code === 'commander.help') {
        if (written.json !== true) return EXIT_USAGE;
        return reportFailure(
          unknownCommand(program, 'no command given'),
          output,
          requestId,
          verbose,
        );
      }
      // commander's hint ("Did you mean ...?") is on a line of its own: one line here.
      const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
      if (error.code === 'commander.unknownCommand') {
        return reportFailure(unknownCommand(program, message), output, requestId, verbose);
      }
      return reportFailure(
        new UsageError(`${message} (see cloud-images --help)`),
        output,
        requestId,
        verbose,
      );
    }
    return reportFailure(error, output, requestId, verbose);
  }
};
