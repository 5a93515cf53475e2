import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { KeyConfig } from '../config';
import type { LoadedSecret, SecretSource } from '../engine/secrets';
import { SecretUnreadableError } from '../errors';

/** Reads `credentials.file` (relative to the config file) or `credentials.env` for CLI runs; routes `secretId` keys to `remote`. */
export class LocalSecretSource implements SecretSource {
  private remoteSource: SecretSource | undefined;

  constructor(
    private readonly baseDir: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly remote?: () => SecretSource,
  ) {}

  async load(key: KeyConfig): Promise<LoadedSecret> {
    const credentials = key.credentials;
    if (!credentials) {
      if (!this.remote) throw new SecretUnreadableError(`"${key.secretId}"`, 'no Secrets Manager client is available');
      this.remoteSource ??= this.remote();
      return this.remoteSource.load(key);
    }
    if ('env' in credentials) {
      const text = this.env[credentials.env];
      if (text === undefined || text.trim() === '')
        throw new SecretUnreadableError(`in environment variable ${credentials.env}`, 'the variable is not set');
      return { text };
    }
    const path = isAbsolute(credentials.file) ? credentials.file : resolve(this.baseDir, credentials.file);
    try {
      return { text: await readFile(path, 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      const hint = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : code;
      throw new SecretUnreadableError(`file ${JSON.stringify(path)}`, hint);
    }
  }
}
