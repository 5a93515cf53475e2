import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { KeyConfig } from '../lambda/config';
import { ConfigError } from '../lambda/errors';

// Secrets Manager allows these characters in names; anything else (notably "*" and "?") would
// widen the grant instead of naming a secret.
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(-[a-z]+)+-\d{1,2}):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})$/;
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:([a-z]{2}(-[a-z]+)+-\d{1,2}):(\d{12}):key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Where one configured secret lives, for IAM. */
export interface SecretResource {
  /** The IAM resource: the ARN as configured, or the name's ARN in this stack's account and region with the 6-character suffix left open. */
  readonly arn: string;
  /** The region whose Secrets Manager holds the secret (a token for names). */
  readonly region: string;
}

/**
 * The IAM resource of a `secretId`. A full ARN is used as is. Secrets Manager appends `-` and six
 * random characters to a secret's ARN, so a name becomes `…:secret:<name>-??????`: exactly six `?`,
 * never `<name>*`, which would also match `<name>-old` or `<name>/other`.
 */
export function resolveSecretResource(scope: Stack, secretId: string, path: string): SecretResource {
  const arn = SECRET_ARN.exec(secretId);
  if (arn && !/-[A-Za-z0-9]{6}$/.test(secretId))
    throw new ConfigError([
      `${path}: a secret ARN must end in the 6-character suffix Secrets Manager added (…:secret:NAME-AbCdEf); or give the secret's name`,
    ]);
  if (arn) return { arn: secretId, region: arn[1] ?? Aws.REGION };
  if (secretId.startsWith('arn:'))
    throw new ConfigError([`${path}: is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX)`]);
  if (!SECRET_NAME.test(secretId))
    throw new ConfigError([
      `${path}: a secret name may only hold letters, digits and /_+=.@- (other characters would widen the IAM grant)`,
    ]);
  return {
    arn: scope.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${secretId}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    region: scope.region,
  };
}

/** Checks that each entry is a KMS key ARN (not an alias: IAM policies cannot grant use of a key through its alias). */
export function checkKmsKeyArns(arns: readonly string[], source: string): void {
  const problems = arns
    .filter((arn) => !KMS_KEY_ARN.test(arn))
    .map((arn) => `${source}: ${JSON.stringify(arn)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID)`);
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * Lets `role` read exactly the configured secrets (`GetSecretValue` for the value,
 * `DescribeSecret` for rotation metadata, `ListSecretVersionIds` for the current version's age)
 * and, when customer managed keys encrypt them, decrypt with those keys only through Secrets Manager. Throws {@link ConfigError} for a `secretId` or key ARN
 * that would widen the grant.
 */
export function grantSecretsRead(role: iam.IRole, keys: readonly KeyConfig[], kmsKeyArns: readonly string[] = []): void {
  const stack = Stack.of(role);
  const secrets = keys.flatMap((key, i) =>
    key.secretId === undefined ? [] : [resolveSecretResource(stack, key.secretId, `keys[${i}].secretId`)],
  );
  if (secrets.length === 0) return;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ReadConfiguredSecrets',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'],
      resources: [...new Set(secrets.map((s) => s.arn))],
    }),
  );
  if (kmsKeyArns.length === 0) return;
  checkKmsKeyArns(kmsKeyArns, 'secrets KMS key');
  const viaServices = [...new Set(secrets.map((s) => `secretsmanager.${s.region}.${Aws.URL_SUFFIX}`))];
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'DecryptConfiguredSecrets',
      actions: ['kms:Decrypt'],
      resources: [...new Set(kmsKeyArns)],
      conditions: { StringEquals: { 'kms:ViaService': viaServices.length === 1 ? viaServices[0] : viaServices } },
    }),
  );
}
