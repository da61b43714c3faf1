// esbuild plugins of the function bundles: serverless-esbuild loads this file through
// `custom.esbuild.plugins` in serverless.yml, and scripts/build.ts (npm run build, the bench) does
// the same. Each cuts what a cold start loads; bench/RESULTS.md has what each saves.
'use strict';

const { isBuiltin } = require('node:module');

/**
 * Node's built-in modules through `require()`, never as ES modules. An ES import of a built-in
 * makes a namespace of all its exports, which runs their lazy getters: `node:http`'s `WebSocket`
 * and `MessageEvent` load Node's own copy of undici (about 44 ms here; the AWS SDK's HTTP handler
 * does `import("node:http")`), `node:util`'s about 8 ms, `node:crypto`'s `webcrypto` about 4 ms.
 * `require` is the createRequire of the bundle's banner; the built-in's exports are the same.
 */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)*$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      if (args.kind === 'require-call') return { path: args.path, external: true };
      if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      return { path: args.path, namespace: 'builtin-through-require' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * undici's HTTP/2 client, left out: client.js requires it at start, and it requires `node:http2`
 * (about 10 to 20 ms of Node's own modules). The agent is made with `allowH2: false`
 * (lib/http/transport.ts), so it is never called; if it were, the call says why it fails.
 */
const LEFT_OUT = /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/;

const undiciWithoutHttp2 = {
  name: 'undici-without-http2',
  setup(build) {
    build.onLoad({ filter: LEFT_OUT }, () => ({
      contents: [
        'module.exports = function connectH2() {',
        "  throw new Error('undici HTTP/2 client left out of the bundle (scripts/bundle-plugins.cjs): the agent must be made with allowH2: false');",
        '};',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * undici's FormData support, left out: `core/request.js` and `dispatcher/client-h1.js` require its
 * fetch, FormData and WebIDL modules (about 42 KiB) only when a body is a FormData, which no
 * function sends (their bodies are strings), yet V8 compiled them at start with the rest of the
 * chunk (1 to 2.5 ms of a show's import). Without undici's own FormData class no body can be one
 * of its instances, so the type check answers false and undici refuses such a body with its own
 * message; the body encoder, never reached, says why if it were called.
 */
const FORM_DATA_IMPORTERS =
  /[\\/]node_modules[\\/]undici[\\/]lib[\\/](core[\\/]request|dispatcher[\\/]client-h1)\.js$/;
const FORM_DATA_STUBS = {
  '../web/fetch/formdata': 'module.exports = {};',
  '../web/webidl': 'module.exports = { webidl: { is: { FormData: () => false } } };',
  '../web/fetch/body.js': [
    'module.exports = {',
    '  extractBody() {',
    "    throw new Error('undici FormData bodies left out of the bundle (scripts/bundle-plugins.cjs): send a string or a Buffer');",
    '  },',
    '};',
  ].join('\n'),
};

const undiciWithoutFormData = {
  name: 'undici-without-form-data',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/web\// }, (args) => {
      if (!FORM_DATA_IMPORTERS.test(args.importer) || !Object.hasOwn(FORM_DATA_STUBS, args.path)) {
        return undefined;
      }
      return { path: args.path, namespace: 'undici-form-data-left-out' };
    });
    build.onLoad({ filter: /.*/, namespace: 'undici-form-data-left-out' }, (args) => ({
      contents: FORM_DATA_STUBS[args.path],
      loader: 'js',
    }));
  },
};

module.exports = [builtinsThroughRequire, undiciWithoutHttp2, undiciWithoutFormData];
