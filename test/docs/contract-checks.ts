// Pure checks of the project's documents against what the repository deploys: each returns what
// it found (or what is wrong), so that contract.test.ts runs them on the real files and on
// deliberately wrong ones alike.

import { parse } from 'yaml';

/**
 * The routes of the table under the `### HTTP routes` heading: the backticked `METHOD /path` in
 * each row's first cell, in order.
 */
export const documentedRoutes = (markdown: string): string[] => {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === '### HTTP routes');
  if (start < 0) throw new Error('no "### HTTP routes" section');
  const end = lines.findIndex((line, index) => index > start && /^#{1,3} /.test(line));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  return section
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|')[1]?.trim() ?? '')
    .map((cell) => /^`([A-Z]+ \/\S*)`$/.exec(cell)?.[1])
    .filter((route): route is string => route !== undefined);
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `METHOD /path` of every httpApi event in serverless.yml (object or `'METHOD /path'` form). */
export const deployedRoutes = (serverlessYml: string): string[] => {
  const service = parse(serverlessYml) as { functions?: Record<string, { events?: Json[] }> };
  return Object.values(service.functions ?? {}).flatMap((fn) =>
    (fn.events ?? []).flatMap((event) => {
      if (event === null || typeof event !== 'object' || Array.isArray(event)) return [];
      const httpApi = event.httpApi;
      if (typeof httpApi === 'string') return [httpApi.replace(/\s+/, ' ')];
      if (httpApi === null || typeof httpApi !== 'object' || Array.isArray(httpApi)) return [];
      return [`${String(httpApi.method ?? '*').toUpperCase()} ${String(httpApi.path)}`];
    }),
  );
};

/** What is wrong between the documented and the deployed routes (empty when they agree). */
export const routeMismatches = (documented: string[], deployed: string[]): string[] => [
  ...deployed
    .filter((route) => !documented.includes(route))
    .map((route) => `deployed, not documented: ${route}`),
  ...documented
    .filter((route) => !deployed.includes(route))
    .map((route) => `documented, not deployed: ${route}`),
  ...documented
    .filter((route, index) => documented.indexOf(route) !== index)
    .map((route) => `documented twice: ${route}`),
];

/** Relative link targets of a markdown text (inline links and images), anchors dropped. */
export const relativeLinks = (markdown: string): string[] =>
  [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => (match[1] ?? '').split('#')[0] ?? '')
    .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target));
