import type { Finding, FindingCode } from '../findings';
import type { Permissions } from '../report';

/** An unsigned read as the real API defines it: the path is the real path, never the simulator's. */
export interface ExchangeRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Already encoded, without the leading `?`. */
  readonly query?: string;
  readonly body?: string;
  /**
   * The production origin of this read when it is not the adapter's own (Binance's key restrictions
   * live on api.binance.com, its futures on fapi.binance.com). A key's `baseUrl` replaces it too;
   * a sandbox key never sends such a read (leave it out of `probes` when `scope.sandbox`).
   */
  readonly origin?: string;
}

/** What signing may use besides the credentials: the caller's clock, the host, and randomness (all injectable, so signing is testable byte for byte). */
export interface SignContext {
  /** Epoch ms of the caller's clock (corrected to the exchange's only in the one diagnostic retry). */
  readonly nowMs: number;
  /** The origin the request goes to (a `baseUrl` override, the sandbox, or production). */
  readonly origin: string;
  /** `size` random bytes, for nonces. */
  readonly random: (size: number) => Buffer;
  /** The key is checked on the exchange's sandbox or demo environment (OKX marks such requests with a header). */
  readonly sandbox: boolean;
}

/** An answer as the exchange sent it, for adapters that check what comes back. */
export interface ExchangeAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What signing adds to a request. */
export interface SignedParts {
  readonly headers: Record<string, string>;
  /** Replaces the request's query when signing adds parameters to it. */
  readonly query?: string;
  readonly body?: string;
  /** Values that must never be shown (signatures, tokens): scrubbed from every message. */
  readonly sensitive: readonly string[];
  /**
   * For exchanges that sign their answers: says why an answer to this request does not verify
   * (`undefined` when it does). Such an answer is never taken for a success.
   */
  readonly checkAnswer?: (answer: ExchangeAnswer) => string | undefined;
}

/**
 * The secret's fields turned into credentials (with notes for the report, e.g. a key type the
 * exchange's docs do not promise), or the finding that says why they are unusable.
 */
export type CredentialsResult<C> =
  | { readonly ok: true; readonly credentials: C; readonly notes?: readonly string[] }
  | { readonly ok: false; readonly finding: Finding };

/** How far the exchange accepts our timestamps from its own clock, in each direction. */
export interface ClockWindow {
  /** We may be this far ahead of the exchange (positive offset). */
  readonly aheadMs: number;
  /** We may be this far behind the exchange (negative offset). */
  readonly behindMs: number;
}

/**
 * How fast one run may check an exchange's keys, kept to a limit the exchange sets per IP address (the
 * checker's one egress address) or per account (applied across all of the run's keys of that exchange,
 * since the run cannot tell which keys share an account). Keys wait for their turn; a key whose turn
 * would come after the run's deadline is reported as not checked, naming this limit.
 */
export interface Pace {
  /** At most this many of the exchange's keys checked at once. */
  readonly keysInFlight?: number;
  /** At most `keys` key checks started in any `ms` window. */
  readonly keysPerWindow?: { readonly keys: number; readonly ms: number };
  /** The exchange's limit and how the pace keeps under it, in one sentence (README and messages). */
  readonly why: string;
}

/** What a successful signed read tells about the key. */
export interface ProbeReading {
  readonly permissions?: Partial<Permissions>;
  readonly findings?: readonly Finding[];
  /** ISO date the exchange will expire the key, when it says. */
  readonly exchangeExpiresAt?: string | null;
  /** The exchange's clock as the answer states it (epoch ms), for exchanges that put it in every answer. */
  readonly serverTimeMs?: number;
  /** Facts for the report's `notes`: what the answer could not tell, or a caveat about the key. */
  readonly notes?: readonly string[];
  /** Why a permission this reading sets to `false` is absent, added to the PERMISSION_MISSING message. */
  readonly evidence?: Readonly<Partial<Record<keyof Permissions, string>>>;
  /** When the exchange says the key was created (ISO): the key's age for rotation, over any date of the secret's. */
  readonly keyCreatedAt?: string;
}

/** What reading an answer may use besides the answer: the caller's clock (for dated findings). */
export interface ReadContext {
  readonly nowMs: number;
}

/** Why a probe is sent: it proves the key, reads what the key may do, or reads the futures account. */
export type ProbePurpose = 'introspection' | 'futures' | 'account';

/** What a check is asked to cover, from the key's `expect`: only what changes which requests are sent. */
export interface CheckScope {
  /** The futures read is part of the check. */
  readonly futures: boolean;
  /** The key is checked on the exchange's sandbox host. */
  readonly sandbox: boolean;
}

/** One signed read-only request of a key check, and how to read its successful answer. */
export interface Probe {
  /** Short name used in messages, e.g. `key permissions`. */
  readonly label: string;
  readonly purpose: ProbePurpose;
  /** What its answer tells, for the README's "What is checked" table, e.g. `view, trade, transfer`. */
  readonly tells: string;
  readonly request: ExchangeRequest;
  /** Reads a 2xx JSON answer; throws (with a message naming the field) when the shape is wrong. */
  read(body: unknown, context: ReadContext): ProbeReading;
  /** What failing this probe with a permission error means for `permissions`. */
  readonly deniedMeans?: Partial<Permissions>;
}

/**
 * One row of an exchange's error table: an answer that matches `error` (if given), `status` (if
 * given) and `body` (if given) means `code`. Rows with `error` are tried first, then the others in
 * order, all before the shared rules (429, 451, 5xx).
 */
export interface ErrorRule {
  /** The exchange's own error code or label, compared exactly with what the adapter's `readError` finds. */
  readonly error?: string | readonly string[];
  readonly status?: number | readonly number[];
  /** A pattern over the raw body, for answers without a parsed error field (or to narrow one). */
  readonly body?: RegExp;
  readonly code: FindingCode;
  /** Added to the message, e.g. what the exchange means by an ambiguous answer. */
  readonly note?: string;
  /** Send once more, freshly signed, before believing it (Coinbase Advanced's occasional lone 401). */
  readonly confirm?: boolean;
  /**
   * The code instead, when another read of the same key succeeded: the key authenticates, so an
   * ambiguous refusal (Binance's -2015) is about this read, e.g. `PERMISSION_MISSING`.
   */
  readonly whenKeyWorks?: FindingCode;
}

/** The public server-time read of an exchange. */
export interface TimeEndpoint {
  readonly request: ExchangeRequest;
  /** Returns the server time in epoch ms; throws when the body has no usable time. */
  read(body: unknown): number;
}

/** What the README says about an exchange; generated from here, so a new adapter documents itself. */
export interface AdapterGuide {
  /** The API in a few words, e.g. `Coinbase Advanced Trade with CDP keys, incl. US futures (CFM)`. */
  readonly api: string;
  /** Markdown: what each secret field holds, as the exchange shows it. */
  readonly secret: string;
  /** An example secret with placeholders (never a real value), as JSON fields. */
  readonly secretExample: Readonly<Record<string, string>>;
  /** Markdown for the clock column: the window we assume and why. */
  readonly clock: string;
  /** Markdown for the server-time column of an exchange without a time endpoint whose answers state the time. */
  readonly time?: string;
  /** Markdown: what this exchange cannot tell about a key, and other notes. */
  readonly notes?: string;
}

/** Everything the engine needs to check keys on one exchange; one file per exchange implements it. */
export interface ExchangeAdapter<C = unknown> {
  /** The stable id used in config and reports; the registry's key for this adapter. */
  readonly id: string;
  /** Name used in messages, e.g. `Coinbase Exchange`. */
  readonly displayName: string;
  readonly guide: AdapterGuide;
  readonly origin: string;
  readonly sandboxOrigin: string | null;
  /** Every request this adapter may send, as `METHOD /path`; the engine refuses anything else. */
  readonly allowList: readonly string[];
  /** How far our timestamps may stray; `null` for an exchange whose signing carries no timestamp. */
  readonly clockWindow: ClockWindow | null;
  /**
   * The public time endpoint, or `null` to read the clock from the signed answers: the time a
   * probe's reading states (`serverTimeMs`), else the HTTP `Date` header.
   */
  readonly time: TimeEndpoint | null;
  /** How fast a run may check this exchange's keys; absent: as fast as the run's `concurrency` allows. */
  readonly pace?: Pace;
  /** Validates the secret's fields; names a bad field, never its value. */
  parseCredentials(secret: Readonly<Record<string, unknown>>): CredentialsResult<C>;
  /** Values of the credentials that must never be shown. */
  secretValues(credentials: C): string[];
  /** Signs a request with the context's clock and randomness. */
  sign(request: ExchangeRequest, credentials: C, context: SignContext): SignedParts;
  /** The signed reads of a check, sent in parallel. */
  probes(scope: CheckScope): readonly Probe[];
  /**
   * The exchange's own error code or label in a parsed JSON answer (Bitstamp `code`, Gate `label`,
   * Bybit `retCode`…), `undefined` when the answer carries none. A 2xx that carries one is never a success.
   */
  readError?(body: unknown): string | undefined;
  readonly errors: readonly ErrorRule[];
}
