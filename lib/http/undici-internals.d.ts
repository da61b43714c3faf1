// Types for the two undici modules lib/http/transport.ts imports by path instead of the package
// root (whose index.js would bring fetch, WebSocket, EventSource, caches, mocks and proxy agents
// into every bundle). undici 8 has no `exports` map, so these paths resolve in Node and esbuild;
// the version is pinned in package.json, and test/http exercises both through the transport.

declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';

  const AgentClass: typeof Agent;
  export default AgentClass;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';

  /** `Dispatcher.prototype.request`, which undici's index.js installs; call it on a dispatcher. */
  function request(
    this: Dispatcher,
    options: Dispatcher.RequestOptions,
  ): Promise<Dispatcher.ResponseData>;
  export default request;
}

declare module 'undici/lib/core/util.js' {
  const util: {
    /** `new URL(url)` for http(s) URLs only (InvalidArgumentError otherwise), as `request` parses its URL. */
    parseURL(url: string): URL;
  };
  export default util;
}
