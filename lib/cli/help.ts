// Help text shared by the commands: examples, the exit statuses, the environment.

import { exitStatusTable } from './exit-status.js';
import { EMULATOR_VARIABLE, TIMEOUT_VARIABLE } from './settings.js';

/** `Examples:`, each as what it does and, under it, the command. */
export const examples = (lines: readonly (readonly [string, string])[]): string =>
  `\nExamples:\n${lines.map(([command, what]) => `  ${what}\n    $ ${command}`).join('\n')}\n`;

export const exitStatusHelp = (): string =>
  `\nExit status:\n${exitStatusTable()
    .map((row) => `  ${String(row.status).padStart(2)}  ${row.name}`)
    .join(
      '\n',
    )}\n  (10 and up: the error's name, as in the API's error table; the README says what each means)\n`;

/** How a flag given twice is read (commands/arguments.ts). */
export const flagsHelp = (): string =>
  `
Flags:
  A flag that takes a value takes one: given twice, the command line is refused (status 2).
  --status takes a list: comma-separated, or the flag again (--status failed --status error).
`;

export const environmentHelp = (): string =>
  `
Configuration (the functions' own, from the environment; see the README's Configuration):
  IMAGE_CREDENTIALS_SECRET_ID, HUAWEICLOUD_SDK_AK/SK/PROJECT_ID, HUAWEICLOUD_REGION,
  BCE_ACCESS_KEY_ID/SECRET_ACCESS_KEY, BCE_REGION, MODELARTS_ENDPOINT, BCC_ENDPOINT,
  PROTECTED_IMAGE_IDS, PROTECTED_IMAGE_NAME_PATTERNS, UPSTREAM_*, LOG_LEVEL
  ${EMULATOR_VARIABLE}    the provider emulator's URL (as --emulator)
  ${TIMEOUT_VARIABLE}  the longest a command may take upstream, in ms (default 60000;
                           900000 for list, usage, plan and apply)
  CLOUD_IMAGES_DIR         where plan and apply keep plans and runs, and run reads them
                           (default .cloud-images)
  NO_COLOR                 no colour (there is none either when output is not a terminal)
`;
