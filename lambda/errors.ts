import type { FindingCode } from './findings';

/** What a caller needs to decide about an error without testing its class. */
export interface ErrorTraits {
  /** Trying the same operation again may succeed (a timeout, a dropped connection, throttling). */
  readonly retryable?: boolean;
  /** The finding a key check reports when this error stops it; `null` when it is not about one key. */
  readonly finding?: FindingCode | null;
  readonly cause?: unknown;
}

/**
 * The base of every error key-health throws: it says whether a retry may help and which finding it
 * becomes, so callers decide on those facts instead of on the class (as Powertools and ky do).
 */
export class KeyHealthError extends Error {
  override readonly name: string = 'KeyHealthError';
  readonly retryable: boolean;
  readonly finding: FindingCode | null;

  constructor(message: string, traits: ErrorTraits = {}) {
    super(message, traits.cause === undefined ? undefined : { cause: traits.cause });
    this.retryable = traits.retryable ?? false;
    this.finding = traits.finding ?? null;
  }
}

/** A configuration that cannot be used; `problems` holds one `path: what is wrong` line each. */
export class ConfigError extends KeyHealthError {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    source = 'config',
  ) {
    super(`Invalid ${source}:\n${listProblems(problems)}`);
  }
}

/** The Lambda's environment is unusable; `problems` holds one `VARIABLE: what is wrong` line each. */
export class EnvError extends KeyHealthError {
  override readonly name = 'EnvError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Lambda environment:\n${listProblems(problems)}`);
  }
}

/** The event is neither the schedule's event nor a valid manual run; the message says what to send instead. */
export class InvalidEventError extends KeyHealthError {
  override readonly name = 'InvalidEventError';
}

/** The exchange did not answer in time. */
export class RequestTimeoutError extends KeyHealthError {
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`Request timed out after ${timeoutMs} ms: ${method} ${path}`, { retryable: true, finding: 'EXCHANGE_UNAVAILABLE' });
  }
}

/** The request never got an HTTP answer (DNS, refused, reset, TLS). */
export class NetworkError extends KeyHealthError {
  override readonly name = 'NetworkError';
  constructor(
    readonly method: string,
    readonly path: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Request failed: ${method} ${path}: ${detail}`, { retryable: true, finding: 'EXCHANGE_UNAVAILABLE', cause: options.cause });
  }
}

/** The run's deadline passed before the work was done. */
export class DeadlineExceededError extends KeyHealthError {
  override readonly name = 'DeadlineExceededError';
  constructor(what: string) {
    super(`Run deadline reached before ${what}`, { finding: 'EXCHANGE_UNAVAILABLE' });
  }
}

/** How a secret could not be read: whether the fault is the checking host's setup, and what to do about it. */
export interface SecretUnreadableOptions {
  readonly retryable?: boolean;
  /** The host lacks what it needs to ask (AWS region or credentials, a local file or variable): SETUP_INCOMPLETE, not a key failure. */
  readonly setup?: boolean;
  /**
   * The store could not be asked this run, which says nothing about the secret or the key: `throttled`
   * (after the SDK's own retries) is RATE_LIMITED, `unavailable` (a server error, a timeout, no
   * connection) is SETUP_INCOMPLETE; both are unknown, so the next run asks again before anyone is paged.
   */
  readonly transient?: 'throttled' | 'unavailable';
  /** A remedy that fits this case better than the code's own. */
  readonly remediation?: string;
}

/** The secret could not be read: missing, access denied, KMS failure, or a host not set up to ask. Carries the reason, never the value. */
export class SecretUnreadableError extends KeyHealthError {
  override readonly name = 'SecretUnreadableError';
  readonly remediation: string | undefined;
  constructor(
    readonly where: string,
    readonly reason: string,
    options: SecretUnreadableOptions = {},
  ) {
    super(`Cannot read the secret ${where}: ${reason}`, {
      finding: secretFinding(options),
      retryable: options.retryable ?? options.transient !== undefined,
    });
    this.remediation = options.remediation;
  }
}

function secretFinding(options: SecretUnreadableOptions): FindingCode {
  if (options.transient === 'throttled') return 'RATE_LIMITED';
  if (options.transient === 'unavailable') return 'SECRET_STORE_UNAVAILABLE';
  return options.setup ? 'SETUP_INCOMPLETE' : 'SECRET_UNREADABLE';
}

/** A state table call failed for a reason other than a lost condition; names the table, the key and the AWS error. */
export class AlertStateError extends KeyHealthError {
  override readonly name = 'AlertStateError';
  constructor(
    readonly operation: string,
    readonly key: string,
    readonly awsError: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Cannot ${operation} the alert state of key "${key}": ${awsError}`, { retryable: true, cause: options.cause });
  }
}

/** An alert SNS did not accept; names the key and the AWS error, keeps the SDK error as `cause`. */
export class AlertPublishError extends KeyHealthError {
  override readonly name = 'AlertPublishError';
  /** No answer came (a timeout, an abort, a dropped connection): SNS may have accepted the message all the same. */
  readonly maybeAccepted: boolean;
  constructor(
    readonly key: string,
    readonly awsError: string,
    options: { cause?: unknown; maybeAccepted?: boolean } = {},
  ) {
    super(`Cannot publish the alert for key "${key}": ${awsError}`, { retryable: true, cause: options.cause });
    this.maybeAccepted = options.maybeAccepted ?? false;
  }
}

/** Some keys' alerts could not be delivered or their state not kept; every key was checked, the failures are named. */
export class AlertDeliveryError extends KeyHealthError {
  override readonly name = 'AlertDeliveryError';
  readonly keys: readonly string[];
  constructor(readonly failures: readonly { readonly key: string; readonly stage: string }[]) {
    const keys = [...new Set(failures.map((f) => f.key))];
    super(
      `Alerts could not be delivered for ${keys.length} key(s): ${failures.map((f) => `${f.key} (${f.stage} failed)`).join(', ')}; every key was checked, see the log for the AWS errors`,
      { retryable: true },
    );
    this.keys = keys;
  }
}

/** A signed request would carry a header value HTTP cannot: a value of the secret holds such characters. Never holds the value in its message. */
export class HeaderValueError extends KeyHealthError {
  override readonly name = 'HeaderValueError';
  constructor(
    readonly header: string,
    /** The refused value, to find the secret field it came from; never shown. */
    readonly value: string,
  ) {
    super(
      `the value for the ${header} header holds characters an HTTP header cannot carry (a line break, a tab or a letter outside Latin-1 pasted into the key or passphrase?)`,
      { finding: 'SECRET_INVALID' },
    );
  }
}

/** The message of anything thrown, for text that goes on `what: why`. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `Name: message` of an error, without repeating a name the message already starts with. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.startsWith(error.name) ? error.message : `${error.name}: ${error.message}`;
}

function listProblems(problems: readonly string[]): string {
  return problems.map((p) => `  - ${p}`).join('\n');
}
