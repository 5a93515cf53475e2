import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock';
import { type Config, parseConfig, selectKeys } from '../config';
import { runChecks } from '../engine/run-checks';
import type { SecretSource } from '../engine/secrets';
import { ConfigError, messageOf } from '../errors';
import { ADAPTERS } from '../exchanges/registry';
import type { Transport } from '../http/http-client';
import { locateJsonError } from '../json-error';
import { EXIT_CODE, type KeyResult } from '../report';
import { formatReport } from './format-table';
import { LocalSecretSource } from './local-secrets';
import { type Progress, startProgress } from './progress';

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** stdout is a terminal (colours). */
  readonly isTty: boolean;
  /** stderr is a terminal (the progress line). @default false */
  readonly stderrIsTty?: boolean;
}

/** The ports of a CLI run. */
export interface CliDeps {
  readonly transport: Transport;
  readonly clock: Clock;
  /** Builds the Secrets Manager source, only when a key names a `secretId`. */
  readonly remoteSecrets?: () => SecretSource;
}

export const VERSION = '0.1.0';
const DEFAULT_DEADLINE_SECONDS = 60;
/** A config is a few KB; a file far larger is not one (a log, a binary) and is not read into memory. */
const MAX_CONFIG_BYTES = 1_000_000;
/** Usage errors are UNKNOWN in the monitoring-plugin convention. */
const USAGE_EXIT = EXIT_CODE.unknown;

export const HELP = `Usage: key-health check --config FILE [--json] [--only NAME,...] [--deadline-seconds N]

Checks exchange API keys: signs read-only requests exactly as each exchange requires, measures the
clock offset, reads back what the key may do, and explains every problem with a remedy.

Options:
  -c, --config FILE       the config JSON (README, "Configuration"); required
  --json                  print the report JSON instead of a table
  --only NAME,...         check only these keys (comma-separated names from the config)
  --deadline-seconds N    stop waiting for keys after N seconds (default ${DEFAULT_DEADLINE_SECONDS})
  --no-color              plain text on a terminal too (NO_COLOR is honoured)
  -h, --help              show this help
  -v, --version           print the version

Credentials, per key in the config:
  "secretId": "name-or-arn"           read from AWS Secrets Manager with the default credential
                                      chain (AWS_PROFILE, AWS_REGION, instance role, ...)
  "credentials": {"file": "k.json"}   a JSON secret in a file (relative to the config file; ~/ is
                                      your home directory); keep it chmod 600
  "credentials": {"env": "VAR"}       a JSON secret in an environment variable

Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (could not tell: an exchange or AWS could not be
asked, this host is not set up to ask, or the command line or config is wrong).
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  only: { type: 'string' },
  'deadline-seconds': { type: 'string' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Runs the `key-health` command line and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`key-health: ${messageOf(error)}\nRun "key-health --help" for usage.\n`);
    return USAGE_EXIT;
  }
  if (args.help) {
    io.stdout(HELP);
    return 0;
  }
  if (args.version) {
    io.stdout(`key-health ${VERSION}\n`);
    return 0;
  }
  const configPath = resolve(io.cwd, args.config);
  let config: Config;
  try {
    config = parseConfig(await readJson(configPath, args.config), { source: `config ${args.config}` });
  } catch (error) {
    io.stderr(`key-health: ${messageOf(error)}\n`);
    return USAGE_EXIT;
  }
  const warn = (message: string) => io.stderr(`key-health: warning: ${message}\n`);
  const secrets = new LocalSecretSource(dirname(configPath), io.env, { ...(deps.remoteSecrets && { remote: deps.remoteSecrets }), warn });
  // A progress line only where a person watches: a terminal, not --json, not CI.
  const watched = io.stderrIsTty === true && !args.json && io.env.CI === undefined;
  let progress: Progress | undefined;
  try {
    if (watched) progress = startProgress((line) => io.stderr(line), deps.clock, selectKeys(config.keys, args.only).length);
    const { report } = await runChecks(config, {
      transport: deps.transport,
      clock: deps.clock,
      secrets,
      adapters: ADAPTERS,
      deadlineAtMs: deps.clock.now() + args.deadlineSeconds * 1000,
      ...(args.only && { only: args.only }),
      ...(progress && { onKeyChecked: (result: KeyResult, done: number) => progress?.update(result, done) }),
    });
    progress?.stop();
    const color = !args.json && io.isTty && !args.noColor && io.env.NO_COLOR === undefined;
    io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color }));
    return EXIT_CODE[report.status];
  } catch (error) {
    progress?.stop();
    io.stderr(`key-health: ${messageOf(error)}\n`);
    return USAGE_EXIT;
  }
}

function parseCommandLine(argv: readonly string[]) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new Error(explainArgsError(error));
  }
  const { values, positionals, tokens } = parsed;
  const base = { help: values.help === true, version: values.version === true };
  if (base.help || base.version) return { ...base, config: '', json: false, noColor: false, deadlineSeconds: 0, only: undefined };
  for (const name of ['config', 'only', 'deadline-seconds'] as const) {
    const given = tokens.filter((t) => t.kind === 'option' && t.name === name).length;
    if (given > 1) throw new Error(`--${name} is given ${given} times; give it once`);
  }
  const [command, ...extra] = positionals;
  if (command === undefined) throw new Error('missing command: use "key-health check --config FILE"');
  if (command !== 'check') throw new Error(`unknown command "${command}"; the command is "check"`);
  if (extra.length > 0) throw new Error(`unexpected argument "${extra[0]}"; key-health check takes options only`);
  if (values.config === undefined) throw new Error('--config FILE is required');
  const only = values.only
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (values.only !== undefined && (!only || only.length === 0)) throw new Error('--only needs at least one key name');
  const deadlineSeconds = values['deadline-seconds'] === undefined ? DEFAULT_DEADLINE_SECONDS : Number(values['deadline-seconds']);
  if (!Number.isFinite(deadlineSeconds) || deadlineSeconds <= 0 || deadlineSeconds > 900)
    throw new Error(`--deadline-seconds must be a number of seconds between 1 and 900, got "${values['deadline-seconds']}"`);
  return { ...base, config: values.config, json: values.json === true, noColor: values['no-color'] === true, deadlineSeconds, only };
}

/** Node's parseArgs errors in plain words: which option, and the valid ones. */
function explainArgsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = messageOf(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}; the options are ${listOptions()}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const long = /--([a-z-]+)/.exec(message)?.[1] ?? option.replace(/^-+/, '');
    return `--${long} needs a value, e.g. --${long} ${long === 'config' ? 'my-keys.json' : long === 'only' ? 'key-a,key-b' : '30'}`;
  }
  return message;
}

function listOptions(): string {
  return Object.entries(OPTIONS)
    .map(([name, option]) => `--${name}${option.type === 'string' ? ' VALUE' : ''}`)
    .join(', ');
}

/** Reads the config file as JSON; every failure names the file and what is wrong with it (a JSON error with line and column). */
async function readJson(path: string, shown: string): Promise<unknown> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new Error(`config ${shown} is a directory; give the path of the config JSON file`);
    if (info.size > MAX_CONFIG_BYTES)
      throw new Error(
        `config ${shown} is ${info.size} bytes; a config is a few KB of JSON (the limit is ${MAX_CONFIG_BYTES}), so this is not one`,
      );
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied (not readable by this user)' : code;
    throw new Error(`cannot read config ${shown} (${path}): ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError([`(root): not valid JSON at ${locateJsonError(text) ?? 'an unknown position'}`], `config ${shown}`);
  }
}
