import type { Config, KeyConfig } from '../config';
import type { ExchangeId } from '../exchanges/ids';
import type { ExchangeAdapter } from '../exchanges/types';
import { makeFinding } from '../findings';
import type { HttpRuntime } from '../http/http-client';
import { buildReport, type KeyResult, type Report, UNKNOWN_PERMISSIONS } from '../report';
import { type CheckRuntime, checkKey, type RetryPolicy } from './check-key';
import { redact } from './classify';
import { mapWithConcurrency } from './concurrency';
import type { CredentialCache } from './credential-cache';
import type { SecretSource } from './secrets';

/** The ports and limits of one run. */
export interface RunOptions {
  readonly http: HttpRuntime;
  readonly secrets: SecretSource;
  readonly adapters: Readonly<Partial<Record<ExchangeId, ExchangeAdapter<unknown>>>>;
  /** Wall-clock ms after which no request is sent and unfinished keys are reported as not checked. */
  readonly deadlineAtMs: number;
  readonly retry?: RetryPolicy;
  /** Check only these key names (all when absent). */
  readonly only?: readonly string[];
  /** Keep parsed credentials across runs (pass the same map to every run of a long-lived process). */
  readonly credentialCache?: CredentialCache;
}

/** Default retry policy for idempotent reads: two more attempts, 250 ms then 500 ms, honouring `Retry-After` up to 5 s. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, backoffMs: 250, maxRetryAfterMs: 5000 };

/**
 * Checks every configured key (or those in `only`) concurrently, at most `config.concurrency` at
 * once. One key's failure never stops the others; a key still running at the deadline is reported
 * as EXCHANGE_UNAVAILABLE.
 */
export async function runChecks(config: Config, options: RunOptions): Promise<Report> {
  const checkedAt = new Date(options.http.now());
  const keys = selectKeys(config.keys, options.only);
  // Kept only to scrub an unexpected error's message of this key's secret values.
  const secretTexts = new Map<string, string>();
  const secrets: SecretSource = {
    load: async (key) => {
      const loaded = await options.secrets.load(key);
      secretTexts.set(key.name, loaded.text);
      return loaded;
    },
  };
  const runtime: CheckRuntime = {
    http: options.http,
    secrets,
    deadlineAtMs: options.deadlineAtMs,
    retry: options.retry ?? DEFAULT_RETRY,
    clocks: new Map(),
    ...(options.credentialCache && { credentialCache: options.credentialCache }),
  };
  const results = await mapWithConcurrency(keys, config.concurrency, (key) =>
    checkBeforeDeadline(key, options, runtime).catch((error: unknown) => failed(key, error, secretTexts.get(key.name))),
  );
  return buildReport(checkedAt, results);
}

/** The keys named in `only`, in config order; throws naming any unknown name. */
export function selectKeys(keys: readonly KeyConfig[], only: readonly string[] | undefined): KeyConfig[] {
  if (!only || only.length === 0) return [...keys];
  const known = new Set(keys.map((k) => k.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`Unknown key name(s): ${unknown.join(', ')}; configured: ${[...known].join(', ')}`);
  return keys.filter((k) => only.includes(k.name));
}

async function checkBeforeDeadline(key: KeyConfig, options: RunOptions, runtime: CheckRuntime): Promise<KeyResult> {
  const adapter = options.adapters[key.exchange];
  if (!adapter) return notChecked(key, `No adapter for exchange "${key.exchange}" in this build.`, 'UNEXPECTED_RESPONSE');
  const remainingMs = runtime.deadlineAtMs - options.http.now();
  if (remainingMs <= 0) return notChecked(key, 'The run deadline was reached before this key was checked.');
  let timer: NodeJS.Timeout | undefined;
  // The grace lets a request that timed out at the deadline report itself before the key is given up.
  const deadline = new Promise<KeyResult>((resolve) => {
    timer = setTimeout(
      () => resolve(notChecked(key, 'The run deadline was reached while this key was being checked.')),
      remainingMs + 1000,
    );
  });
  try {
    return await Promise.race([checkKey(key, adapter, runtime), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A check that threw (an adapter bug, `sandbox` on an exchange without one): this key's finding, the others go on. */
function failed(key: KeyConfig, error: unknown, secretText: string | undefined): KeyResult {
  const message = error instanceof Error ? error.message : String(error);
  return notChecked(key, `The check failed: ${redact(message, secretValuesOf(secretText))}`, 'UNEXPECTED_RESPONSE');
}

function secretValuesOf(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const fields: unknown = JSON.parse(text);
    const values = typeof fields === 'object' && fields !== null ? Object.values(fields) : [];
    return [text, ...values.filter((v): v is string => typeof v === 'string')];
  } catch {
    return [text];
  }
}

function notChecked(
  key: KeyConfig,
  message: string,
  code: 'EXCHANGE_UNAVAILABLE' | 'UNEXPECTED_RESPONSE' = 'EXCHANGE_UNAVAILABLE',
): KeyResult {
  const finding = makeFinding(code, message);
  return {
    name: key.name,
    exchange: key.exchange,
    status: finding.severity,
    findings: [finding],
    clock: { offsetMs: null, rttMs: null, toleranceMs: null, source: null },
    permissions: { ...UNKNOWN_PERMISSIONS },
    expiry: { keyAgeDays: null, nextRotationAt: null, exchangeExpiresAt: null },
    latencyMs: null,
  };
}
