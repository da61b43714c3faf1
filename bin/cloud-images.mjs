#!/usr/bin/env node
// The `cloud-images` command (package.json "bin"). npm runs it with whatever `node` is first on
// PATH, so this file is plain JavaScript any Node can parse, and it finds what the CLI needs:
//
// - Node >= 22.12 (commander, undici and @inquirer need it). In a checkout whose machine has an
//   older Node it runs itself again through scripts/node24.sh, which provides Node 24 in .tools/
//   (and installs the dependencies on a fresh clone), as `npm start` and `npm test` do. Installed
//   from the packed tarball, it says what it needs instead.
// - The program: in a checkout, the TypeScript sources through tsx (always current, nothing to
//   build); in the packed tarball, the one-file bundle dist/cli/cloud-images.mjs that `npm pack`
//   builds (prepack), which needs no dependency installed.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Colour is the CLI's to decide (lib/cli/output/colour.ts): NO_COLOR turns it off, FORCE_COLOR
// included. Node decides otherwise for its own colour checks (FORCE_COLOR wins), and the first
// module to load node:util makes one, warning on stderr that NO_COLOR is ignored. So with NO_COLOR
// set, FORCE_COLOR is taken out of this process's environment before the command line is loaded: Node
// then agrees with the CLI, and says nothing.
if ((process.env.NO_COLOR ?? '') !== '') delete process.env.FORCE_COLOR;

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), '..');
const checkout = existsSync(join(root, 'scripts', 'node24.sh'));
const [major, minor] = process.versions.node.split('.').map(Number);
const recentEnough = major > 22 || (major === 22 && minor >= 12);
const RELAUNCHED = 'CLOUD_IMAGES_RELAUNCHED';

const relaunchWithNode24 = () => {
  const child = spawn(
    'bash',
    [join(root, 'scripts', 'node24.sh'), 'node', self, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, [RELAUNCHED]: '1' },
    },
  );
  // Ctrl-C reaches the child from the terminal (same process group); a signal sent to this
  // process alone is passed on. Either way the child decides how to end, and this one follows.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
  child.on('error', (error) => {
    process.stderr.write(
      `cloud-images: could not start Node 24 through scripts/node24.sh: ${error.message}\n`,
    );
    process.exit(1);
  });
};

const ready = checkout ? existsSync(join(root, 'node_modules', 'tsx')) : true;

if (!recentEnough || !ready) {
  if (checkout && process.env[RELAUNCHED] === undefined) {
    relaunchWithNode24();
  } else {
    process.stderr.write(
      recentEnough
        ? `cloud-images: no node_modules in ${root}: run npm ci there\n`
        : `cloud-images needs Node 22.12 or later (this is Node ${process.versions.node}); Node 24 is recommended.\n`,
    );
    process.exit(1);
  }
} else if (checkout) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'bin', 'cloud-images.ts')).href);
} else {
  await import(pathToFileURL(join(root, 'dist', 'cli', 'cloud-images.mjs')).href);
}
