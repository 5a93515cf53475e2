import { SYSTEM_CLOCK } from '../../lambda/clock';
import { type Config, type KeyConfig, parseConfig } from '../../lambda/config';
import { runChecks } from '../../lambda/engine/run-checks';
import { DEFAULT_RETRY } from '../../lambda/engine/runtime';
import type { LoadedSecret, SecretSource } from '../../lambda/engine/secrets';
import { SecretUnreadableError } from '../../lambda/errors';
import { ADAPTERS } from '../../lambda/exchanges/registry';
import { nodeTransport } from '../../lambda/http/node-transport';
import type { Report } from '../../lambda/report';

/** Secrets held in memory by key name; a missing one reads as ResourceNotFoundException. */
export class MemorySecrets implements SecretSource {
  readonly secrets = new Map<string, Omit<LoadedSecret, 'text'> & { text: string }>();

  set(name: string, value: unknown, meta: Omit<LoadedSecret, 'text'> = {}): this {
    this.secrets.set(name, { ...meta, text: typeof value === 'string' ? value : JSON.stringify(value) });
    return this;
  }

  async load(key: KeyConfig): Promise<LoadedSecret> {
    const secret = this.secrets.get(key.name);
    if (!secret) throw new SecretUnreadableError(`"${key.secretId ?? key.name}"`, 'ResourceNotFoundException');
    return secret;
  }
}

/** A config of keys that all point at `baseUrl`, each with a secretId equal to its name. */
export function configFor(
  keys: Array<Partial<KeyConfig> & Pick<KeyConfig, 'name' | 'exchange'> & Record<string, unknown>>,
  baseUrl?: string,
): Config {
  return parseConfig({
    keys: keys.map((k) => ({ secretId: k.name, ...(baseUrl && { baseUrl }), ...k })),
  });
}

/** Runs the engine against real HTTP with quick retries, as the CLI would, and returns the report. */
export async function runAgainst(
  config: Config,
  secrets: SecretSource,
  options: { deadlineMs?: number; only?: string[]; retries?: number } = {},
): Promise<Report> {
  const run = await runChecks(config, {
    transport: nodeTransport,
    clock: SYSTEM_CLOCK,
    secrets,
    adapters: ADAPTERS,
    deadlineAtMs: Date.now() + (options.deadlineMs ?? 15_000),
    retry: { ...DEFAULT_RETRY, backoffMs: 10, retries: options.retries ?? DEFAULT_RETRY.retries },
    ...(options.only && { only: options.only }),
  });
  return run.report;
}

/** The codes of one key's findings, sorted. */
export function codesOf(report: Report, name: string): string[] {
  const result = report.results.find((r) => r.name === name);
  if (!result) throw new Error(`no result for ${name}`);
  return result.findings.map((f) => f.code).sort();
}
