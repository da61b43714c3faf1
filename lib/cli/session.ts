// What a command gets once its flags are parsed: the output (json/quiet/colour), the configuration
// applied (emulator, endpoints, log level), and operation dependencies built the way a Lambda
// invocation builds them (lib/runtime/invocation.ts), with no Lambda context and the command
// line's own cap on time upstream.

import { userInfo } from 'node:os';
import confirm from '@inquirer/confirm';
import { deploymentRateLimits } from '../config/retirement-config.js';
import type { OperationName } from '../errors/error-table.js';
import { ConfigurationError } from '../errors/errors.js';
import { createPacer } from '../http/pacer.js';
import { setLogSink } from '../log/log.js';
import { configurationProblems } from '../runtime/composition.js';
import { type Invocation, startInvocation } from '../runtime/invocation.js';
import { COMMAND_LINE_NAMES } from './commands/arguments.js';
import { createOutput, type Output, type Streams } from './output/output.js';
import {
  type EmulatorWiring,
  emulatorChoice,
  pointAtEmulator,
  timeoutMsFor,
  useEndpoint,
} from './settings.js';

/**
 * The confirmation prompt without colour. @inquirer colours it through util.styleText, which
 * knows NO_COLOR but not --no-color: the prompt follows the colour of stderr, where it is drawn.
 */
/** The commands whose input is the person's flags (lib/cli/commands/arguments.ts COMMAND_LINE_NAMES). */
const FLAG_NAMED_OPERATIONS: readonly OperationName[] = ['show', 'delete', 'list', 'usage'];

const PLAIN_PROMPT_THEME = {
  prefix: { idle: '?', done: '\u2714' },
  style: {
    answer: (text: string) => text,
    message: (text: string) => text,
    error: (text: string) => `> ${text}`,
    defaultAnswer: (text: string) => `(${text})`,
    help: (text: string) => text,
    highlight: (text: string) => text,
    key: (text: string) => `<${text}>`,
    /** The default answer in the `y/N` hint: upper case instead of colour. */
    confirmDefault: (text: string) => text.toUpperCase(),
  },
};

/** Who acts from this terminal, as plans, runs and events record it (`cli:<user>`). */
export const cliIdentity = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

export interface CliHost {
  streams: Streams;
  /** The process environment: read as the functions read it, and changed by --emulator and --endpoint. */
  env: Record<string, string | undefined>;
  emulator: EmulatorWiring;
}

/** The flags every command takes (on the program: before or after the command's name). */
export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  verbose?: boolean;
  emulator?: string;
}

export interface Session {
  readonly output: Output;
  /** The environment, as the functions read it (after --emulator). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly requestId: string;
  readonly verbose: boolean;
  /** Applies `--endpoint` to the provider's endpoint variable (before its first call). */
  useEndpoint(provider: string, url: string | undefined): void;
  /**
   * The configuration checked as a function checks it at a cold start (every variable, the
   * retirement ones included): ConfigurationError naming each problem, before anything is sent.
   * `invocation` checks it first; a command that asks a question before its first call checks it
   * before asking.
   */
  checkConfiguration(): void;
  /** Providers, protection, deadline and retry policy for one operation, as a Lambda gets them. */
  invocation(operation: OperationName): Invocation;
  /** Asks a yes/no question on the terminal (default no); false when it is left with Ctrl-C or Ctrl-D. */
  confirm(question: string): Promise<boolean>;
  /**
   * A follow-up command as the user would type it here: through npx when this one ran through it
   * (a checkout), with this command's --emulator, each argument quoted for a POSIX shell if need be.
   */
  nextCommand(args: readonly string[]): string;
}

/** An argument as a POSIX shell reads it back: bare when it is plain, else in single quotes. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

export const outputFor = (host: CliHost, flags: GlobalFlags): Output =>
  createOutput(host.streams, host.env, {
    json: flags.json === true,
    quiet: flags.quiet === true,
    color: flags.color !== false,
  });

export const startSession = (
  host: CliHost,
  flags: GlobalFlags,
  requestId: string,
  output: Output,
): Session => {
  const { env, streams } = host;
  const verbose = flags.verbose === true;
  // Log lines (the same JSON lines as the functions') go to stderr: stdout is the result's.
  setLogSink((line) => streams.stderr.write(`${line}\n`));
  if (verbose) env.LOG_LEVEL = 'debug';
  const emulator = emulatorChoice(flags.emulator, env);
  if (emulator !== undefined) pointAtEmulator(emulator, env, host.emulator);

  // A function with a malformed variable logs it at its cold start and fails its requests; a
  // command went on without it (a delete was made, its event lost): it stops first instead.
  let configurationChecked = false;
  const checkConfiguration = (): void => {
    if (configurationChecked) return;
    const problems = configurationProblems();
    if (problems.length > 0) throw new ConfigurationError(problems.join('; '));
    configurationChecked = true;
  };

  return {
    output,
    env,
    requestId,
    verbose,
    useEndpoint: (provider, url) => useEndpoint(provider, url, env),
    checkConfiguration,
    invocation: (operation) => {
      checkConfiguration();
      const invocation = startInvocation(
        undefined,
        {
          capMs: timeoutMsFor(operation, env),
          // An apply deletes as the queue's consumer does, paced to UPSTREAM_RATE_LIMITS (the
          // deployment's rates whole: the one process that sends them).
          pacer: operation === 'apply' ? createPacer(deploymentRateLimits(env)) : undefined,
        },
        { trigger: 'cli', operation, requestId },
      );
      // The image commands' region and cursor are the ones typed as --region and --cursor: a
      // region refused (not known, not configured) or a cursor refused names the flag. An apply's
      // regions are its plan's, named as the input's.
      if (FLAG_NAMED_OPERATIONS.includes(operation)) {
        invocation.context.fieldNames = COMMAND_LINE_NAMES;
      }
      return invocation;
    },
    nextCommand: (args) =>
      [
        ...(env.npm_command === 'exec' ? ['npx'] : []),
        'cloud-images',
        ...(flags.emulator === undefined ? [] : ['--emulator', flags.emulator]),
        ...args,
      ]
        .map(shellWord)
        .join(' '),
    confirm: async (question) => {
      // Ctrl-D (or the end of stdin) closes the prompt's readline, which pauses stdin, and leaves
      // the prompt unsettled: Node would end the process with its own status 13 and a warning.
      const left = new AbortController();
      const leave = (): void => left.abort();
      streams.stdin.once('pause', leave);
      try {
        return await confirm(
          {
            message: question,
            default: false,
            ...(output.err.isColorSupported ? {} : { theme: PLAIN_PROMPT_THEME }),
          },
          {
            input: streams.stdin,
            output: streams.stderr as NodeJS.WritableStream,
            signal: left.signal,
          },
        );
      } catch (error) {
        // Ctrl-C or Ctrl-D at the prompt: no answer is not a yes.
        if (error instanceof Error && ['ExitPromptError', 'AbortPromptError'].includes(error.name))
          return false;
        throw error;
      } finally {
        streams.stdin.off('pause', leave);
      }
    },
  };
};
