/**
 * key-health's exchange half alone (engine and adapters, no AWS SDK), for the benchmark's
 * like-for-like comparison with scripts/ccxt-engine.ts. Never deployed.
 */

import { SYSTEM_CLOCK } from '../lambda/clock';
import type { Config } from '../lambda/config';
import { runChecks } from '../lambda/engine/run-checks';
import type { SecretSource } from '../lambda/engine/secrets';
import { ADAPTERS } from '../lambda/exchanges/registry';
import { nodeTransport } from '../lambda/http/node-transport';

/** Checks the configured keys with the engine, as the Lambda handler does without its AWS adapters. */
export function handler(config: Config, secrets: SecretSource) {
  return runChecks(config, {
    transport: nodeTransport,
    clock: SYSTEM_CLOCK,
    secrets,
    adapters: ADAPTERS,
    deadlineAtMs: Date.now() + 30_000,
  });
}
