import type { Clock } from '../clock';
import type { Transport } from '../http/http-client';
import type { ClockMeasurement } from './clock-offset';
import type { CredentialCache } from './credential-cache';
import type { SecretSource } from './secrets';

/** How idempotent reads are retried. */
export interface RetryPolicy {
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxRetryAfterMs: number;
}

/** Default retry policy for idempotent reads: two more attempts, 250 ms then 500 ms, honouring `Retry-After` up to 5 s. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 2, backoffMs: 250, maxRetryAfterMs: 5000 };

/** The ports a key check runs on: network, clock, secret store, the run's deadline and its shared caches. */
export interface CheckRuntime {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly secrets: SecretSource;
  readonly deadlineAtMs: number;
  readonly retry: RetryPolicy;
  /** Server-time measurements shared by all keys of a run on the same origin. */
  readonly serverTimes: Map<string, Promise<ClockMeasurement | null>>;
  /** Parsed credentials kept across the runs of one process (a warm Lambda container); absent: parse every time. */
  readonly credentialCache?: CredentialCache;
  /** Random bytes for request nonces. */
  readonly random: (size: number) => Buffer;
}
