// Structured JSON log lines, one home for redaction. Nothing that looks like a credential or a
// signature is ever written: keys that name one are replaced, whatever their value.

import type { LogLevel } from '../config/service-config.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const SECRET_KEY = /secret|password|token|authorization|signature|credential|^sk$|^ak$|accesskey/i;

const redact = (value: unknown, depth = 0): unknown => {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1),
    ]),
  );
};

const secretKeys = new Map<string, boolean>();

/** SECRET_KEY.test, remembered for the keys seen (they repeat line after line). */
const isSecretKey = (key: string): boolean => {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeys.size < 1_000) secretKeys.set(key, secret);
  }
  return secret;
};

/**
 * Frozen objects found clean, every object below them frozen and clean too: nothing can change
 * them, so they are not walked again (the EMF directives every request line shares).
 */
const knownClean = new WeakSet<object>();

/**
 * True when `JSON.stringify(value)` already gives what `JSON.stringify(redact(value))` gives, so
 * the tree need not be rebuilt: plain data (no `toJSON`, no boxed primitive) within redact's depth,
 * and no key that redaction would replace.
 */
const isClean = (value: unknown, depth = 0): boolean => {
  if (value === null || typeof value !== 'object') return true;
  if (knownClean.has(value)) return true;
  if (depth > 6) return false;
  if (
    typeof (value as { toJSON?: unknown }).toJSON === 'function' ||
    value instanceof String ||
    value instanceof Number ||
    value instanceof Boolean ||
    value instanceof BigInt
  ) {
    return false;
  }
  // Whether everything below is frozen and clean too (then this one is remembered, if frozen).
  let settled = Object.isFrozen(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isClean(item, depth + 1)) return false;
      if (settled && item !== null && typeof item === 'object' && !knownClean.has(item)) {
        settled = false;
      }
    }
  } else {
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (isSecretKey(key) || !isClean(item, depth + 1)) return false;
      if (settled && item !== null && typeof item === 'object' && !knownClean.has(item)) {
        settled = false;
      }
    }
  }
  // Walked to its leaves (nothing below redact's depth), it reads the same at any depth.
  if (settled) knownClean.add(value);
  return true;
};

export type LogSink = (line: string) => void;

let sink: LogSink = (line) => process.stdout.write(`${line}\n`);

/** Tests capture every line through this. */
export const setLogSink = (next: LogSink): LogSink => {
  const previous = sink;
  sink = next;
  return previous;
};

/** A directive of an EMF document (`_aws.CloudWatchMetrics`), as far as the metrics-only line reads it. */
interface MetricDirective {
  Dimensions?: unknown;
  Metrics?: unknown;
}

/**
 * The EMF members of a line (`_aws`, its dimensions' and metrics' values), or undefined for a line
 * without metrics: what a line below the level still writes, so that the metrics count every
 * request whatever the level (CloudWatch extracts them from the line).
 */
const metricsOf = (entry: LogFields): LogFields | undefined => {
  const directives = (entry._aws as { CloudWatchMetrics?: unknown } | undefined)?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  const kept: LogFields = { _aws: entry._aws };
  for (const directive of directives as MetricDirective[]) {
    const names = [
      ...(Array.isArray(directive.Dimensions) ? directive.Dimensions.flat() : []),
      ...(Array.isArray(directive.Metrics)
        ? directive.Metrics.map((metric: { Name?: unknown }) => metric.Name)
        : []),
    ];
    for (const name of names) if (typeof name === 'string') kept[name] = entry[name];
  }
  return kept;
};

export const createLogger = (level: LogLevel, base: LogFields = {}): Logger => {
  const write = (at: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => {
    if (RANK[at] < RANK[level]) {
      // Below the level: its metrics alone (silent writes nothing at all).
      const metrics =
        level === 'silent' || fields?._aws === undefined
          ? undefined
          : metricsOf({ ...base, ...fields });
      if (metrics !== undefined) sink(JSON.stringify(isClean(metrics) ? metrics : redact(metrics)));
      return;
    }
    const entry = {
      level: at,
      time: new Date().toISOString(),
      message,
      ...base,
      ...fields,
    };
    sink(JSON.stringify(isClean(entry) ? entry : redact(entry)));
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }),
  };
};
