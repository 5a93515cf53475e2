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

/**
 * Reads key secrets from AWS Secrets Manager: the value with GetSecretValue (whose CreatedDate is the
 * AWSCURRENT version's creation) and, in parallel, the rotation metadata with DescribeSecret; only
 * when a version is pending, ListSecretVersionIds for its creation date. Errors name the secret and
 * the AWS error, never the value.
 */
export class SecretsManagerSource implements SecretSource {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: SecretsManagerSourceOptions = {},
  ) {}

  async load(key: KeyConfig): Promise<LoadedSecret> {
    const secretId = key.secretId;
    if (secretId === undefined) throw new SecretUnreadableError(`of key "${key.name}"`, 'no secretId is configured');
    const where = `"${secretId}"`;
    const [value, described] = await Promise.allSettled([
      this.client.send(new GetSecretValueCommand({ SecretId: secretId })),
      this.client.send(new DescribeSecretCommand({ SecretId: secretId })),
    ]);
    // The SDK error is not kept as `cause`: a deserialisation error can carry the raw response, which holds the value.
    if (value.status === 'rejected') {
      // No region or no credentials on this host is a setup to finish, not a key that stopped working.
      const setup = isSetupError(value.reason);
      throw new SecretUnreadableError(where, describeSecretsManagerError(value.reason), {
        setup,
        ...(setup && { remediation: SETUP_REMEDY }),
      });
    }
    const text = secretText(value.value, where);
    const loaded: LoadedSecret = { text, versionId: value.value.VersionId ?? null, versionCreatedAt: value.value.CreatedDate ?? null };
    if (described.status === 'rejected') {
      this.options.onMetadataError?.(secretId, readAwsErrorName(described.reason), 'DescribeSecret');
      return loaded;
    }
    const metadata = readRotationMetadata(described.value);
    if (!metadata.pendingVersionId) return { ...loaded, ...metadata };
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

function secretText(output: GetSecretValueCommandOutput, where: string): string {
  if (typeof output.SecretString === 'string') return output.SecretString;
  if (output.SecretBinary !== undefined)
    throw new SecretUnreadableError(where, 'the secret is stored as binary (SecretBinary); key-health reads a JSON SecretString');
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
  return describeAwsError(error, {
    hints: ERROR_HINTS,
    withoutMessage: (name) =>
      name.startsWith('KMS') ? "a KMS error with the secret's encryption key" : 'unexpected error from Secrets Manager',
  });
}
