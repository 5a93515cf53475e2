import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  ListSecretVersionIdsCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { KeyConfig } from '../config';
import type { LoadedSecret, SecretSource } from '../engine/secrets';
import { SecretUnreadableError } from '../errors';
import { describeAwsError, readAwsErrorName } from './aws-error';

/** The metadata calls whose failure leaves the key checked with less rotation metadata. */
export type MetadataOperation = 'DescribeSecret' | 'ListSecretVersionIds';

/** Options for {@link SecretsManagerSource}. */
export interface SecretsManagerSourceOptions {
  /**
   * Told when a metadata call fails while the value was read: DescribeSecret (the key is checked
   * without rotation metadata) or ListSecretVersionIds (a pending version's age is unknown).
   */
  readonly onMetadataError?: (secretId: string, awsError: string, operation: MetadataOperation) => void;
  /**
   * The wall clock that ages the cached rotation metadata.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * How long one secret's rotation metadata is reused while its current version stays the same. It
 * moves on a scale of days (rotation dates, a rotation left pending), so an hour spares all but one
 * DescribeSecret an hour at a five-minute schedule (each call $0.05 per 10,000) and still reports a
 * failed rotation within the hour; the value itself is read every run.
 */
export const METADATA_MAX_AGE_MS = 60 * 60 * 1000;

type RotationMetadata = ReturnType<typeof readRotationMetadata>;

/** Rotation metadata as read for one version of a secret, and when. */
interface CachedMetadata {
  readonly versionId: string | null;
  readonly readAtMs: number;
  readonly metadata: RotationMetadata;
}

/** Pages of ListSecretVersionIds read at most; without deprecated versions a secret has a handful. */
const MAX_VERSION_PAGES = 5;

/** What to do about each Secrets Manager error, by the AWS error name. */
const ERROR_HINTS: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'no secret with this name or ARN in this account and region',
  AccessDeniedException:
    'the function may not read this secret (secretsmanager:GetSecretValue, and kms:Decrypt for a customer-managed key, or a resource policy denies it)',
  DecryptionFailure: "KMS could not decrypt the secret (the function lacks kms:Decrypt, or the secret's KMS key is disabled or deleted)",
  InvalidRequestException: 'the secret cannot be read in its current state (scheduled for deletion, or its KMS key is disabled)',
  InvalidParameterException: 'the secretId is not a valid secret name or ARN',
  InternalServiceError: 'Secrets Manager failed internally; the next run tries again',
  ThrottlingException: 'Secrets Manager throttled the request; the next run tries again',
  TimeoutError: 'Secrets Manager did not answer in time',
  KMSAccessDeniedException:
    "the function may not use the secret's KMS key (kms:Decrypt, via Secrets Manager, in the key policy or the role)",
  KMSDisabledException: "the secret's KMS key is disabled; enable it, or re-encrypt the secret with a key that is enabled",
  KMSInvalidStateException: "the secret's KMS key cannot be used in its current state (pending deletion or import)",
  KMSNotFoundException: "the secret's KMS key does not exist in this account and region",
  // Client-side setup errors, met by CLI users without an AWS profile.
  CredentialsProviderError:
    'no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on a host with a role)',
  TokenProviderError: 'the AWS SSO token is missing or expired (run aws sso login)',
};

/** The SDK reports a missing or empty region with a plain Error; its message never quotes a response. */
const MISSING_REGION = /^Region is missing$|^Region not accepted: /;

/** Errors raised on this host before Secrets Manager is asked: the AWS setup is incomplete. */
const SETUP_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

const SETUP_REMEDY =
  'Give this host an AWS region and credentials that may read the secret: `export AWS_REGION=…` and `AWS_PROFILE=…` (or `aws sso login`), or use local credentials ({"file": …} or {"env": …}) for this key.';

function isSetupError(error: unknown): boolean {
  return (error instanceof Error && MISSING_REGION.test(error.message)) || SETUP_ERRORS.has(readAwsErrorName(error));
}

/** Secrets Manager refused the call for the request rate, after the SDK's own retries. */
const THROTTLING_ERRORS = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'KMSThrottlingException']);

/** No answer, or a server error: Secrets Manager could not be asked, which says nothing about the secret. */
const UNAVAILABLE_ERRORS = new Set([
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
]);

/** Node's codes for a connection that could not be made or was dropped (the SDK passes them on as `code`). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

// GetSecretValue shares one request quota per account and region with every other caller
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html).
const THROTTLED_REMEDY =
  'Nothing is known about the key this run: Secrets Manager refused the read for the request rate, after the SDK’s own retries. The next run asks again; if it persists, look for other callers of GetSecretValue in this account and region, which share its request quota.';

const UNAVAILABLE_REMEDY =
  'Nothing is known about the key this run: Secrets Manager could not be asked (a server error, a timeout or no connection). The next run asks again; if it persists, check the AWS Health Dashboard for Secrets Manager in this region and the network path from the checker to it.';

/**
 * The name inside the SDK's `AWS SDK error wrapper for TimeoutError: …`, which it throws for a value
 * that is not an Error of this realm (a network error crossing a vm context, as in test runners).
 */
function wrappedErrorName(error: unknown): string | undefined {
  return error instanceof Error ? /^AWS SDK error wrapper for ([A-Za-z][A-Za-z0-9_]{0,63}):/.exec(error.message)?.[1] : undefined;
}

/** Whether Secrets Manager could not be asked this run (`throttled`, `unavailable`), rather than refusing this secret. */
export function classifyTransientError(error: unknown): 'throttled' | 'unavailable' | undefined {
  const name = wrappedErrorName(error) ?? readAwsErrorName(error);
  if (THROTTLING_ERRORS.has(name)) return 'throttled';
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    code?: unknown;
  };
  const status = fields.$metadata?.httpStatusCode;
  if (UNAVAILABLE_ERRORS.has(name) || fields.$fault === 'server' || (typeof status === 'number' && status >= 500)) return 'unavailable';
  return typeof fields.code === 'string' && NETWORK_CODES.has(fields.code) ? 'unavailable' : undefined;
}

/**
 * Reads key secrets from AWS Secrets Manager: the value with GetSecretValue (whose CreatedDate is the
 * AWSCURRENT version's creation) on every load and, in parallel, the rotation metadata with
 * DescribeSecret, which is then reused for {@link METADATA_MAX_AGE_MS} while the value's version stays
 * the same; only when a version is pending, ListSecretVersionIds for its creation date. Errors name
 * the secret and the AWS error, never the value.
 */
export class SecretsManagerSource implements SecretSource {
  /** By secret id; lives as long as the source (a warm Lambda container keeps it between runs). */
  private readonly metadataCache = new Map<string, CachedMetadata>();

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: SecretsManagerSourceOptions = {},
  ) {}

  async load(key: KeyConfig): Promise<LoadedSecret> {
    const secretId = key.secretId;
    if (secretId === undefined) throw new SecretUnreadableError(`of key "${key.name}"`, 'no secretId is configured');
    const where = `"${secretId}"`;
    const nowMs = (this.options.now ?? Date.now)();
    const cached = this.metadataCache.get(secretId);
    const fresh = cached !== undefined && nowMs - cached.readAtMs < METADATA_MAX_AGE_MS ? cached : undefined;
    // The value is read every time: a rotated, revoked or undecryptable secret shows on the next run.
    const describing = fresh ? undefined : settle(this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
    const [value] = await Promise.allSettled([this.client.send(new GetSecretValueCommand({ SecretId: secretId }))]);
    // The SDK error is not kept as `cause`: a deserialisation error can carry the raw response, which holds the value.
    if (value.status === 'rejected') {
      // No region or no credentials on this host is a setup to finish, not a key that stopped working.
      const setup = isSetupError(value.reason);
      // Throttling or an outage of Secrets Manager says nothing about the key: unknown, not a critical page.
      const transient = setup ? undefined : classifyTransientError(value.reason);
      throw new SecretUnreadableError(where, describeSecretsManagerError(value.reason), {
        setup,
        ...(setup && { remediation: SETUP_REMEDY }),
        ...(transient && { transient, remediation: transient === 'throttled' ? THROTTLED_REMEDY : UNAVAILABLE_REMEDY }),
      });
    }
    const text = secretText(value.value, where);
    const loaded: LoadedSecret = { text, versionId: value.value.VersionId ?? null, versionCreatedAt: value.value.CreatedDate ?? null };
    if (fresh !== undefined && fresh.versionId === loaded.versionId) return { ...loaded, ...fresh.metadata };
    // A new current version (a rotation) makes the cached metadata stale: it is read now.
    const described = await (describing ?? settle(this.client.send(new DescribeSecretCommand({ SecretId: secretId }))));
    if (described.status === 'rejected') {
      this.options.onMetadataError?.(secretId, readAwsErrorName(described.reason), 'DescribeSecret');
      return loaded;
    }
    const metadata = readRotationMetadata(described.value);
    if (!metadata.pendingVersionId) {
      // Not cached with a version pending: its date may not have been read, and the rotation may finish any moment.
      this.metadataCache.set(secretId, { versionId: loaded.versionId ?? null, readAtMs: nowMs, metadata });
      return { ...loaded, ...metadata };
    }
    return { ...loaded, ...metadata, pendingVersionCreatedAt: await this.versionCreatedAt(secretId, metadata.pendingVersionId) };
  }

  /** The creation date of one version; `null` when it is not listed (a version without a value) or the call fails. */
  private async versionCreatedAt(secretId: string, versionId: string): Promise<Date | null> {
    let nextToken: string | undefined;
    try {
      for (let page = 0; page < MAX_VERSION_PAGES; page++) {
        const output = await this.client.send(
          new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: false, ...(nextToken && { NextToken: nextToken }) }),
        );
        const version = output.Versions?.find((v) => v.VersionId === versionId);
        if (version) return version.CreatedDate ?? null;
        nextToken = output.NextToken;
        if (!nextToken) return null;
      }
    } catch (error) {
      this.options.onMetadataError?.(secretId, readAwsErrorName(error), 'ListSecretVersionIds');
    }
    return null;
  }
}

/** The outcome of `promise`, which never rejects: a metadata call may fail without failing the read. */
async function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  const [result] = await Promise.allSettled([promise]);
  return result;
}

function secretText(output: GetSecretValueCommandOutput, where: string): string {
  if (typeof output.SecretString === 'string') return output.SecretString;
  if (output.SecretBinary !== undefined)
    throw new SecretUnreadableError(where, 'the secret is stored as binary (SecretBinary); key-health reads a JSON SecretString', {
      remediation: `Store the secret as JSON text: \`aws secretsmanager put-secret-value --secret-id ${where} --secret-string file://secret.json\` (README, "Secret formats"); a binary secret is not read.`,
    });
  throw new SecretUnreadableError(where, 'GetSecretValue returned no SecretString');
}

/** Rotation facts from DescribeSecret; a version labelled AWSPENDING but not AWSCURRENT is a rotation that did not finish. */
export function readRotationMetadata(
  output: DescribeSecretCommandOutput,
): Pick<LoadedSecret, 'rotationEnabled' | 'lastRotatedAt' | 'nextRotationAt' | 'lastChangedAt' | 'secretCreatedAt' | 'pendingVersionId'> {
  let pendingVersionId: string | null = null;
  for (const [versionId, stages] of Object.entries(output.VersionIdsToStages ?? {})) {
    if (stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT')) pendingVersionId = versionId;
  }
  return {
    rotationEnabled: output.RotationEnabled === true,
    lastRotatedAt: output.LastRotatedDate ?? null,
    nextRotationAt: output.NextRotationDate ?? null,
    lastChangedAt: output.LastChangedDate ?? null,
    secretCreatedAt: output.CreatedDate ?? null,
    pendingVersionId,
  };
}

/** `<AWS error name>: <what it usually means>`; the AWS message is left out (it may quote the response). */
export function describeSecretsManagerError(error: unknown): string {
  if (error instanceof Error && MISSING_REGION.test(error.message))
    return 'no AWS region configured (set AWS_REGION, or a region in the AWS profile)';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return `${code}: no connection to Secrets Manager; the next run tries again`;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  if (readAwsErrorName(error) === 'SyntaxError' && typeof status === 'number' && status >= 500)
    return `HTTP ${status}: Secrets Manager answered with a server error; the next run tries again`;
  const wrapped = wrappedErrorName(error);
  if (wrapped !== undefined)
    return describeAwsError(Object.assign(new Error(), { name: wrapped }), {
      hints: ERROR_HINTS,
      withoutMessage: () => 'no answer from Secrets Manager',
    });
  return describeAwsError(error, {
    hints: ERROR_HINTS,
    withoutMessage: (name) =>
      name.startsWith('KMS') ? "a KMS error with the secret's encryption key" : 'unexpected error from Secrets Manager',
  });
}
