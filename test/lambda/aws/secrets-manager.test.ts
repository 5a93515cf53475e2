import {
  DecryptionFailure,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  ListSecretVersionIdsCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describeSecretsManagerError } from '../../../lambda/aws/secrets-manager';
import { SecretUnreadableError } from '../../../lambda/errors';
import 'aws-sdk-client-mock-jest';
import { SecretsManagerSource } from '../../../lambda/aws/secrets-manager';
import { KEY, SECRET_ID, SECRET_TEXT } from '../../support/secrets-manager-fixture';

const VERSION_CREATED = new Date('2026-10-01T08:00:00Z');

function awsError(name: string): SecretsManagerServiceException {
  return new SecretsManagerServiceException({ name, $fault: 'client', message: `${name} from AWS`, $metadata: {} });
}

describe('SecretsManagerSource', () => {
  const sm = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  beforeEach(() => {
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET_TEXT, VersionId: 'v-current', CreatedDate: VERSION_CREATED });
    sm.on(DescribeSecretCommand).resolves({});
  });

  it('reads the value and the metadata of the configured secret id', async () => {
    await new SecretsManagerSource(client).load(KEY);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_ID });
    expect(sm).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: SECRET_ID });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).not.toHaveReceivedCommand(ListSecretVersionIdsCommand);
  });

  it('asks for the metadata without waiting for the value', async () => {
    let release: () => void = () => undefined;
    sm.on(GetSecretValueCommand).callsFake(
      () =>
        new Promise((resolve) => {
          release = () => resolve({ SecretString: SECRET_TEXT });
        }),
    );
    const loading = new SecretsManagerSource(client).load(KEY);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sm).toHaveReceivedCommand(DescribeSecretCommand);
    release();
    await expect(loading).resolves.toMatchObject({ text: SECRET_TEXT });
  });

  it('maps the value, its version and the rotation metadata', async () => {
    sm.on(DescribeSecretCommand).resolves({
      RotationEnabled: true,
      LastRotatedDate: new Date('2026-10-01T08:00:00Z'),
      NextRotationDate: new Date('2026-12-30T00:00:00Z'),
      CreatedDate: new Date('2025-01-15T00:00:00Z'),
      LastChangedDate: new Date('2026-10-01T08:00:01Z'),
      VersionIdsToStages: { 'v-current': ['AWSCURRENT'], 'v-old': ['AWSPREVIOUS'] },
    });
    await expect(new SecretsManagerSource(client).load(KEY)).resolves.toEqual({
      text: SECRET_TEXT,
      versionId: 'v-current',
      versionCreatedAt: VERSION_CREATED,
      rotationEnabled: true,
      lastRotatedAt: new Date('2026-10-01T08:00:00Z'),
      nextRotationAt: new Date('2026-12-30T00:00:00Z'),
      lastChangedAt: new Date('2026-10-01T08:00:01Z'),
      secretCreatedAt: new Date('2025-01-15T00:00:00Z'),
      pendingVersionId: null,
    });
    expect(sm).not.toHaveReceivedCommand(ListSecretVersionIdsCommand);
  });

  it.each([
    ['a version only in AWSPENDING', { 'v-current': ['AWSCURRENT'], 'v-new': ['AWSPENDING'] }, 'v-new'],
    ['AWSPENDING on the current version (a finished rotation)', { 'v-current': ['AWSCURRENT', 'AWSPENDING'] }, null],
    ['no pending version', { 'v-current': ['AWSCURRENT'] }, null],
  ])('reports %s', async (_label, stages, pending) => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: stages });
    const loaded = await new SecretsManagerSource(client).load(KEY);
    expect(loaded.pendingVersionId).toBe(pending);
    expect(loaded.rotationEnabled).toBe(false);
  });

  it('reads the key without metadata when only DescribeSecret fails, and says so', async () => {
    sm.on(DescribeSecretCommand).rejects(awsError('AccessDeniedException'));
    const told: string[] = [];
    const onMetadataError = (id: string, error: string, operation: string) => told.push(`${operation} ${id} ${error}`);
    const loaded = await new SecretsManagerSource(client, { onMetadataError }).load(KEY);
    expect(loaded.text).toBe(SECRET_TEXT);
    expect(loaded.versionCreatedAt).toEqual(VERSION_CREATED);
    expect(loaded.rotationEnabled).toBeUndefined();
    expect(loaded.nextRotationAt).toBeUndefined();
    expect(told).toEqual([`DescribeSecret ${SECRET_ID} AccessDeniedException`]);
    expect(sm).not.toHaveReceivedCommand(ListSecretVersionIdsCommand);
  });

  describe('with a version pending', () => {
    const PENDING_CREATED = new Date('2026-11-26T03:00:00Z');
    beforeEach(() => {
      sm.on(DescribeSecretCommand).resolves({
        RotationEnabled: true,
        LastChangedDate: new Date('2026-11-26T03:00:02Z'),
        VersionIdsToStages: { 'v-current': ['AWSCURRENT'], 'v-new': ['AWSPENDING'] },
      });
    });

    it('takes the pending version creation date from ListSecretVersionIds, without deprecated versions', async () => {
      sm.on(ListSecretVersionIdsCommand).resolves({
        Versions: [
          { VersionId: 'v-current', VersionStages: ['AWSCURRENT'], CreatedDate: VERSION_CREATED },
          { VersionId: 'v-new', VersionStages: ['AWSPENDING'], CreatedDate: PENDING_CREATED },
        ],
      });
      const loaded = await new SecretsManagerSource(client).load(KEY);
      expect(loaded).toMatchObject({
        pendingVersionId: 'v-new',
        pendingVersionCreatedAt: PENDING_CREATED,
        versionCreatedAt: VERSION_CREATED,
      });
      expect(sm).toHaveReceivedCommandWith(ListSecretVersionIdsCommand, { SecretId: SECRET_ID, IncludeDeprecated: false });
      expect(sm).toHaveReceivedCommandTimes(ListSecretVersionIdsCommand, 1);
    });

    it('follows NextToken until it finds the version', async () => {
      sm.on(ListSecretVersionIdsCommand, { NextToken: undefined })
        .resolves({ Versions: [{ VersionId: 'v-current', CreatedDate: VERSION_CREATED }], NextToken: 'page-2' })
        .on(ListSecretVersionIdsCommand, { NextToken: 'page-2' })
        .resolves({ Versions: [{ VersionId: 'v-new', CreatedDate: PENDING_CREATED }] });
      const loaded = await new SecretsManagerSource(client).load(KEY);
      expect(loaded.pendingVersionCreatedAt).toEqual(PENDING_CREATED);
      expect(sm).toHaveReceivedNthSpecificCommandWith(2, ListSecretVersionIdsCommand, { SecretId: SECRET_ID, NextToken: 'page-2' });
    });

    it('stops after a bounded number of pages', async () => {
      sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [], NextToken: 'again' });
      const loaded = await new SecretsManagerSource(client).load(KEY);
      expect(loaded.pendingVersionCreatedAt).toBeNull();
      expect(sm).toHaveReceivedCommandTimes(ListSecretVersionIdsCommand, 5);
    });

    it('leaves the date unknown for a pending version without a value (not listed), keeping the last change', async () => {
      sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [{ VersionId: 'v-current', CreatedDate: VERSION_CREATED }] });
      const loaded = await new SecretsManagerSource(client).load(KEY);
      expect(loaded.pendingVersionCreatedAt).toBeNull();
      expect(loaded.lastChangedAt).toEqual(new Date('2026-11-26T03:00:02Z'));
    });

    it('still reads the key when ListSecretVersionIds fails, and says which call failed', async () => {
      sm.on(ListSecretVersionIdsCommand).rejects(awsError('AccessDeniedException'));
      const told: string[] = [];
      const onMetadataError = (id: string, error: string, operation: string) => told.push(`${operation} ${id} ${error}`);
      const loaded = await new SecretsManagerSource(client, { onMetadataError }).load(KEY);
      expect(loaded).toMatchObject({ text: SECRET_TEXT, rotationEnabled: true, pendingVersionId: 'v-new', pendingVersionCreatedAt: null });
      expect(told).toEqual([`ListSecretVersionIds ${SECRET_ID} AccessDeniedException`]);
    });
  });

  describe('across runs of one source (a warm Lambda container)', () => {
    const MINUTE = 60_000;
    let nowMs = Date.parse('2026-11-27T10:00:00Z');
    const now = () => nowMs;
    beforeEach(() => {
      nowMs = Date.parse('2026-11-27T10:00:00Z');
      sm.on(DescribeSecretCommand).resolves({ RotationEnabled: true, VersionIdsToStages: { 'v-current': ['AWSCURRENT'] } });
    });

    it('reads the value every run but the metadata of an unchanged version once an hour', async () => {
      const source = new SecretsManagerSource(client, { now });
      for (const minute of [0, 5, 30, 59]) {
        nowMs = Date.parse('2026-11-27T10:00:00Z') + minute * MINUTE;
        await expect(source.load(KEY)).resolves.toMatchObject({ text: SECRET_TEXT, rotationEnabled: true, versionId: 'v-current' });
      }
      expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 4);
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 1);
      nowMs += MINUTE;
      await source.load(KEY);
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    });

    it('reads the metadata again as soon as the current version changes', async () => {
      const source = new SecretsManagerSource(client, { now });
      await source.load(KEY);
      sm.on(GetSecretValueCommand).resolves({ SecretString: SECRET_TEXT, VersionId: 'v-rotated', CreatedDate: new Date(nowMs) });
      sm.on(DescribeSecretCommand).resolves({ RotationEnabled: true, LastRotatedDate: new Date(nowMs), VersionIdsToStages: {} });
      nowMs += 5 * MINUTE;
      await expect(source.load(KEY)).resolves.toMatchObject({ versionId: 'v-rotated', lastRotatedAt: new Date(nowMs - 5 * MINUTE) });
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    });

    it('still reports a secret that became unreadable, whatever metadata is cached', async () => {
      const source = new SecretsManagerSource(client, { now });
      await source.load(KEY);
      sm.on(GetSecretValueCommand).rejects(new DecryptionFailure({ message: 'x', $metadata: {} }));
      nowMs += 5 * MINUTE;
      await expect(source.load(KEY)).rejects.toThrow(/DecryptionFailure/);
    });

    it('asks again on the next run after DescribeSecret failed', async () => {
      const told: string[] = [];
      const source = new SecretsManagerSource(client, { now, onMetadataError: (_id, error) => told.push(error) });
      sm.on(DescribeSecretCommand)
        .rejectsOnce(awsError('ThrottlingException'))
        .resolves({ RotationEnabled: true, VersionIdsToStages: { 'v-current': ['AWSCURRENT'] } });
      await expect(source.load(KEY)).resolves.not.toHaveProperty('rotationEnabled');
      nowMs += 5 * MINUTE;
      await expect(source.load(KEY)).resolves.toMatchObject({ rotationEnabled: true });
      expect(told).toEqual(['ThrottlingException']);
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    });

    it('asks every run while a version is pending, so a finished or failed rotation shows at once', async () => {
      sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-current': ['AWSCURRENT'], 'v-new': ['AWSPENDING'] } });
      sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [{ VersionId: 'v-new', CreatedDate: new Date(nowMs) }] });
      const source = new SecretsManagerSource(client, { now });
      await source.load(KEY);
      nowMs += 5 * MINUTE;
      await expect(source.load(KEY)).resolves.toMatchObject({ pendingVersionId: 'v-new' });
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
      expect(sm).toHaveReceivedCommandTimes(ListSecretVersionIdsCommand, 2);
    });

    it('keeps the metadata of each secret apart', async () => {
      const source = new SecretsManagerSource(client, { now });
      await source.load(KEY);
      await source.load({ ...KEY, name: 'other', secretId: 'trading/other' });
      expect(sm).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: 'trading/other' });
      expect(sm).toHaveReceivedCommandTimes(DescribeSecretCommand, 2);
    });
  });

  it.each([
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'x', $metadata: {} }), 'no secret with this name'],
    ['AccessDeniedException', awsError('AccessDeniedException'), 'secretsmanager:GetSecretValue'],
    ['DecryptionFailure', new DecryptionFailure({ message: 'x', $metadata: {} }), 'kms:Decrypt'],
    ['InvalidRequestException', new InvalidRequestException({ message: 'x', $metadata: {} }), 'scheduled for deletion'],
    ['InvalidParameterException', new InvalidParameterException({ message: 'x', $metadata: {} }), 'not a valid secret name or ARN'],
    ['InternalServiceError', new InternalServiceError({ message: 'x', $metadata: {} }), 'the next run tries again'],
    ['KMSOptInRequired', awsError('KMSOptInRequired'), 'a KMS error'],
    ['SomethingNewException', awsError('SomethingNewException'), 'unexpected error from Secrets Manager'],
  ])('turns %s into SecretUnreadableError naming the secret and the error', async (name, error, hint) => {
    sm.on(GetSecretValueCommand).rejects(error);
    const failure = await new SecretsManagerSource(client).load(KEY).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SecretUnreadableError);
    const message = (failure as Error).message;
    expect(message).toMatch(new RegExp(`^Cannot read the secret "trading/coinbase-futures": ${name}: `));
    expect(message).toContain(hint);
    expect(message).not.toContain('from AWS');
    expect((failure as Error).cause).toBeUndefined();
  });

  it('refuses a binary-only secret, naming SecretBinary', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array(Buffer.from(SECRET_TEXT)) });
    await expect(new SecretsManagerSource(client).load(KEY)).rejects.toThrow(
      'Cannot read the secret "trading/coinbase-futures": the secret is stored as binary (SecretBinary)',
    );
  });

  it('never passes on an SDK error that quotes the response', async () => {
    const quoting = Object.assign(new SyntaxError(`Unexpected token in JSON: ${SECRET_TEXT}`), { $response: { body: SECRET_TEXT } });
    sm.on(GetSecretValueCommand).rejects(quoting);
    const failure = (await new SecretsManagerSource(client).load(KEY).catch((e: unknown) => e)) as Error;
    expect(failure.message).toBe('Cannot read the secret "trading/coinbase-futures": SyntaxError: unexpected error from Secrets Manager');
    expect(failure.cause).toBeUndefined();
    expect(`${failure.message}${failure.stack}`).not.toMatch(/open sesame|c3VwZXIt/);
  });

  it('refuses a key without a secretId before calling AWS', async () => {
    const { secretId: _, ...local } = KEY;
    await expect(new SecretsManagerSource(client).load(local)).rejects.toThrow(
      'Cannot read the secret of key "coinbase-futures": no secretId is configured',
    );
    expect(sm).not.toHaveReceivedCommand(GetSecretValueCommand);
  });
});

describe('describeSecretsManagerError for a CLI without AWS setup', () => {
  it.each([
    [new Error('Region is missing'), 'no AWS region configured (set AWS_REGION'],
    [new Error('Region not accepted: region="" is not a valid hostname component.'), 'no AWS region configured'],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'CredentialsProviderError: no AWS credentials found',
    ],
  ])('says what to set for %s', (error, expected) => {
    expect(describeSecretsManagerError(error)).toContain(expected);
  });
});
