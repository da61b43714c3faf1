// The composition root: what a process builds once and shares between invocations: the
// configuration, the operator's protection rules, the credential store, the HTTP agent (with the
// configured connect timeout) and one provider per registered cloud, each with its endpoint
// override.

import { loadRetirementConfig, processRateLimits } from '../config/retirement-config.js';
import {
  endpointOverride,
  loadConfig,
  type ServiceConfig,
  serviceConfig,
} from '../config/service-config.js';
import { defaultCredentialStore } from '../credentials/credential-store.js';
import { InvalidRequest, isImageError } from '../errors/errors.js';
import { createPacer, type Pacer } from '../http/pacer.js';
import { sharedDispatcher, type Transport, undiciTransport } from '../http/transport.js';
import { createProtection, type Protection } from '../images/protection.js';
import type { ImageProvider } from '../images/provider-port.js';
import { allClouds, findCloud, registryVersion } from '../providers/registry.js';

interface Built {
  version: number;
  providers: Map<string, ImageProvider>;
}

let built: Built | undefined;

/** The provider of a registered cloud (made on first use, again after the registry changed). */
export const providerFor = (key: string): ImageProvider => {
  const version = registryVersion();
  if (built?.version !== version) built = { version, providers: new Map() };
  let provider = built.providers.get(key);
  if (provider === undefined) {
    const cloud = findCloud(key);
    if (cloud === undefined) {
      // Inputs are validated against the registry first; this is a cloud removed in between.
      throw new InvalidRequest(`provider: '${key}' is not a registered cloud`, {
        field: 'provider',
      });
    }
    provider = cloud.createProvider({
      credentials: defaultCredentialStore(),
      endpointOverride: endpointOverride(process.env, cloud.endpointVariable),
    });
    built.providers.set(key, provider);
  }
  return provider;
};

let protection: Protection | undefined;

export const operatorProtection = (): Protection => {
  protection ??= createProtection(serviceConfig().protection);
  return protection;
};

let transport: Transport | undefined;

/** undici over the process's one agent, made with the configured connect timeout. */
export const upstreamTransport = (): Transport => {
  if (transport === undefined) {
    const dispatcher = sharedDispatcher(serviceConfig().upstream.connectTimeoutMs);
    transport = (request, options) => undiciTransport(request, { ...options, dispatcher });
  }
  return transport;
};

let pacer: Pacer | undefined;

/** The queue consumer's pacing: the deployment's rates divided among its concurrent processes. */
export const queuePacer = (): Pacer => {
  pacer ??= createPacer(processRateLimits(process.env));
  return pacer;
};

/**
 * Everything the process needs from its configuration, checked at once (cold start): problems
 * as messages naming the variable, never a value. Empty when all is well. Reads the environment
 * afresh and caches nothing.
 */
export const configurationProblems = (): string[] => {
  const problems: string[] = [];
  const attempt = (check: () => unknown): void => {
    try {
      check();
    } catch (error) {
      problems.push(isImageError(error) ? error.message : String(error));
    }
  };
  let config: ServiceConfig | undefined;
  attempt(() => {
    config = loadConfig(process.env);
  });
  if (config !== undefined) {
    const { protection: rules } = config;
    attempt(() => createProtection(rules));
  }
  for (const cloud of allClouds()) {
    attempt(() => endpointOverride(process.env, cloud.endpointVariable));
  }
  attempt(() => loadRetirementConfig(process.env));
  return problems;
};
