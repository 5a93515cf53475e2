import type { KeyConfig } from '../config';

/** A secret as read from its store, with whatever rotation metadata the store keeps. */
export interface LoadedSecret {
  /** The secret's JSON text; never logged. */
  readonly text: string;
  /** When the current version was created (Secrets Manager), if known. */
  readonly versionCreatedAt?: Date | null;
  readonly versionId?: string | null;
  readonly rotationEnabled?: boolean;
  readonly lastRotatedAt?: Date | null;
  readonly nextRotationAt?: Date | null;
  /** A version labelled `AWSPENDING` that is not `AWSCURRENT`: a rotation in progress, or one that did not finish. */
  readonly pendingVersionId?: string | null;
  /** When that pending version was created; `null` when unknown (a version without a value is not listed). */
  readonly pendingVersionCreatedAt?: Date | null;
  /** When the secret was last changed in any way (no earlier than a pending version's creation). */
  readonly lastChangedAt?: Date | null;
  /** When the secret itself was created. */
  readonly secretCreatedAt?: Date | null;
}

/** Reads the secret of a key; throws `SecretUnreadableError` (errors.ts) when it cannot. */
export interface SecretSource {
  load(key: KeyConfig): Promise<LoadedSecret>;
}
