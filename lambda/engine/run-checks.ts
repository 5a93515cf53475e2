import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock';
import { type Config, type KeyConfig, selectKeys } from '../config';
import type { ExchangeAdapter } from '../exchanges/types';
import { makeFinding } from '../findings';
import type { Transport } from '../http/http-client';
import { buildKeyResult, buildReport, type KeyResult, type Report } from '../report';
import { type CheckedKey, checkKey } from './check-key';
import { Slots } from './concurrency';
import type { CredentialCache } from './credential-cache';
import { PaceGate, type PaceTicket } from './pace';
import { type CheckRuntime, DEFAULT_RETRY, type RetryPolicy } from './runtime';
import type { SecretSource } from './secrets';

/** The ports and limits of one run. */
export interface RunOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly secrets: SecretSource;
  readonly adapters: Readonly<Partial<Record<string, ExchangeAdapter<unknown>>>>;
  /** Wall-clock ms after which no request is sent and unfinished keys are reported as not checked. */
  readonly deadlineAtMs: number;
  readonly retry?: RetryPolicy;
  /** Check only these key names (all when absent). */
  readonly only?: readonly string[];
  /** Keep parsed credentials across runs (pass the same map to every run of a long-lived process). */
  readonly credentialCache?: CredentialCache;
  /** @default node:crypto randomBytes */
  readonly random?: (size: number) => Buffer;
  /** Told as each key's check ends (for a progress display), with how many are done of how many. */
  readonly onKeyChecked?: (result: KeyResult, done: number, total: number) => void;
}

/** What one run found: the report, and per key (in the report's order) the facts later steps need. */
export interface RunResult {
  readonly report: Report;
  readonly checked: readonly CheckedKey[];
}

/**
 * Checks every configured key (or those in `only`) concurrently, at most `config.concurrency` at
 * once and each exchange's keys no faster than its adapter's pace allows. One key's failure never
 * stops the others; a key still running at the deadline is reported as EXCHANGE_UNAVAILABLE.
 */
export async function runChecks(config: Config, options: RunOptions): Promise<RunResult> {
  const checkedAt = new Date(options.clock.now());
  const keys = selectKeys(config.keys, options.only);
  const runtime: CheckRuntime = {
    transport: options.transport,
    clock: options.clock,
    secrets: options.secrets,
    deadlineAtMs: options.deadlineAtMs,
    retry: options.retry ?? DEFAULT_RETRY,
    serverTimes: new Map(),
    random: options.random ?? randomBytes,
    ...(options.credentialCache && { credentialCache: options.credentialCache }),
  };
  const slots = new Slots(config.concurrency);
  const gates = new Map<string, PaceGate>();
  let done = 0;
  // A key waits for its exchange's pace first and only then for one of the run's places, so that keys
  // waiting on a slow exchange never hold places the others could use.
  const checked = await Promise.all(
    keys.map(async (key) => {
      const adapter = options.adapters[key.exchange];
      const gate = adapter?.pace ? gateFor(gates, adapter.id, adapter.pace, options.clock) : null;
      const outcome = await paced(gate, key, options, (ticket) =>
        slots.run(() => {
          ticket?.start();
          return checkBeforeDeadline(key, options, runtime);
        }),
      );
      options.onKeyChecked?.(outcome.result, ++done, keys.length);
      return outcome;
    }),
  );
  return {
    report: buildReport(
      checkedAt,
      checked.map((c) => c.result),
    ),
    checked,
  };
}

function gateFor(gates: Map<string, PaceGate>, id: string, pace: NonNullable<ExchangeAdapter['pace']>, clock: Clock): PaceGate {
  let gate = gates.get(id);
  if (!gate) {
    gate = new PaceGate(pace, clock);
    gates.set(id, gate);
  }
  return gate;
}

async function paced(
  gate: PaceGate | null,
  key: KeyConfig,
  options: RunOptions,
  check: (ticket: PaceTicket | null) => Promise<CheckedKey>,
): Promise<CheckedKey> {
  if (!gate) return check(null);
  const ticket = await gate.enter(options.deadlineAtMs);
  if (!ticket) {
    const message = `The run deadline was reached before this key's turn: ${gate.pace.why}`;
    return { ...notChecked(key, message), deadlineReached: true };
  }
  try {
    return await check(ticket);
  } finally {
    ticket.end();
  }
}

async function checkBeforeDeadline(key: KeyConfig, options: RunOptions, runtime: CheckRuntime): Promise<CheckedKey> {
  const adapter = options.adapters[key.exchange];
  if (!adapter) return notChecked(key, `No adapter for exchange "${key.exchange}" in this build.`, 'UNEXPECTED_RESPONSE');
  const remainingMs = runtime.deadlineAtMs - options.clock.now();
  if (remainingMs <= 0) return { ...notChecked(key, 'The run deadline was reached before this key was checked.'), deadlineReached: true };
  let timer: NodeJS.Timeout | undefined;
  // The grace lets a request that timed out at the deadline report itself before the key is given up.
  const deadline = new Promise<CheckedKey>((resolve) => {
    timer = setTimeout(
      () => resolve({ ...notChecked(key, 'The run deadline was reached while this key was being checked.'), deadlineReached: true }),
      remainingMs + 1000,
    );
  });
  try {
    return await Promise.race([checkKey(key, adapter, runtime), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function notChecked(
  key: KeyConfig,
  message: string,
  code: 'EXCHANGE_UNAVAILABLE' | 'UNEXPECTED_RESPONSE' = 'EXCHANGE_UNAVAILABLE',
): CheckedKey {
  return { result: buildKeyResult(key, [makeFinding(code, message)]), secretVersionId: null };
}
