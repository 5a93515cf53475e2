import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { KeyConfig } from '../config';
import type { LoadedSecret, SecretSource } from '../engine/secrets';
import { SecretUnreadableError } from '../errors';

/** Options for {@link LocalSecretSource}. */
export interface LocalSecretOptions {
  /** Builds the Secrets Manager source, only when a key names a `secretId`. */
  readonly remote?: () => SecretSource;
  /** Told once per file when a credentials file can be read by other users. */
  readonly warn?: (message: string) => void;
}

const FILE_REMEDY =
  'Create the credentials file at that path (relative paths are relative to the config file; a leading ~/ means your home directory), holding the secret as JSON, readable by this user only (chmod 600).';
const VARIABLE_REMEDY = 'Set the variable to the secret as JSON before running key-health, e.g. export VAR="$(cat key.json)".';

/**
 * Reads `credentials.file` (relative to the config file, `~/` expanded) or `credentials.env` for CLI
 * runs, and routes `secretId` keys to Secrets Manager. A missing file or variable is this host's
 * setup (SETUP_INCOMPLETE), with a remedy about the file or the variable, not about IAM.
 */
export class LocalSecretSource implements SecretSource {
  private remoteSource: SecretSource | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly baseDir: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly options: LocalSecretOptions = {},
  ) {}

  async load(key: KeyConfig): Promise<LoadedSecret> {
    const credentials = key.credentials;
    if (!credentials) {
      if (!this.options.remote) throw new SecretUnreadableError(`"${key.secretId}"`, 'no Secrets Manager client is available');
      this.remoteSource ??= this.options.remote();
      return this.remoteSource.load(key);
    }
    if ('env' in credentials) {
      const text = this.env[credentials.env];
      if (text === undefined || text.trim() === '')
        throw new SecretUnreadableError(`in environment variable ${credentials.env}`, 'the variable is not set', {
          setup: true,
          remediation: VARIABLE_REMEDY.replace('VAR', credentials.env),
        });
      return { text };
    }
    const path = this.resolvePath(credentials.file);
    try {
      const text = await readFile(path, 'utf8');
      await this.warnIfShared(path);
      return { text };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      const hint =
        code === 'ENOENT'
          ? 'the file does not exist'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'it is a directory, not a file'
              : code;
      throw new SecretUnreadableError(`file ${JSON.stringify(path)}`, hint, { setup: true, remediation: FILE_REMEDY });
    }
  }

  /** The file's path: absolute as given, `~/…` in the home directory, otherwise relative to the config file. */
  private resolvePath(file: string): string {
    if (file === '~' || file.startsWith('~/')) return join(this.env.HOME ?? homedir(), file.slice(1));
    return isAbsolute(file) ? file : resolve(this.baseDir, file);
  }

  private async warnIfShared(path: string): Promise<void> {
    if (!this.options.warn || this.warned.has(path) || process.platform === 'win32') return;
    // Marked before the await, so two keys sharing the file warn once.
    this.warned.add(path);
    const { mode } = await stat(path);
    if ((mode & 0o077) === 0) return;
    this.options.warn(
      `${path} holds an API secret and can be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${JSON.stringify(path)}`,
    );
  }
}
