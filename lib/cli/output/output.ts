// Where each kind of output goes. The result goes to stdout: JSON with --json (the HTTP body's
// value, indented on a terminal, one line when piped; also with --quiet, which asked for no
// notes), nothing with --quiet alone, otherwise text for
// people. Everything else (notes, prompts, progress, errors, log lines) goes to stderr, so that
// `cloud-images ... --json | jq` always reads one JSON document.

import { colourEnabled, type Paint, paint } from './colour.js';
import { terminalJson } from './printable.js';

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface InStream extends NodeJS.ReadableStream {
  isTTY?: boolean | undefined;
}

export interface Streams {
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  /** False with --no-color. */
  color: boolean;
}

export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** Colours for stdout and for stderr (each on only where it is a terminal). */
  readonly out: Paint;
  readonly err: Paint;
  /** A person can answer a prompt: stdin and stderr (where the prompt is drawn) are terminals. */
  readonly interactive: boolean;
  /** Progress bars are drawn: stderr is a terminal, and neither --quiet nor --json. */
  readonly progress: boolean;
  readonly streams: Streams;
  /** The command's result: `body` as JSON with --json, else `human()` unless --quiet. */
  result(body: unknown, human: () => string): void;
  /** A message for people that is not the result (stderr; not with --quiet or --json). */
  note(text: string): void;
}

export const createOutput = (
  streams: Streams,
  env: Readonly<Record<string, string | undefined>>,
  options: OutputOptions,
): Output => {
  const stderrIsTerminal = streams.stderr.isTTY === true;
  const chatty = !options.quiet && !options.json;
  return {
    json: options.json,
    quiet: options.quiet,
    out: paint(colourEnabled(streams.stdout, env, options.color)),
    err: paint(colourEnabled(streams.stderr, env, options.color)),
    interactive: streams.stdin.isTTY === true && stderrIsTerminal,
    progress: stderrIsTerminal && chatty && env.TERM !== 'dumb',
    streams,
    result(body, human) {
      if (options.json) {
        const indent = streams.stdout.isTTY === true ? 2 : undefined;
        streams.stdout.write(`${terminalJson(body, indent)}\n`);
      } else if (!options.quiet) {
        streams.stdout.write(human());
      }
    },
    note(text) {
      if (chatty) streams.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
};
