import type { KeyConfig } from '../config';
import type { LoadedSecret, SecretSource } from '../engine/secrets';

/** A {@link SecretSource} that remembers, per key name, the secret version each load returned (for the rotation note of an alert). */
export class VersionRecordingSecrets implements SecretSource {
  readonly versions = new Map<string, string | null>();

  constructor(private readonly inner: SecretSource) {}

  async load(key: KeyConfig): Promise<LoadedSecret> {
    const loaded = await this.inner.load(key);
    this.versions.set(key.name, loaded.versionId ?? null);
    return loaded;
  }
}
