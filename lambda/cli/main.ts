import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock';
import { type Config, parseConfig } from '../config';
import { runChecks } from '../engine/run-checks';
import type { SecretSource } from '../engine/secrets';
import { ConfigError, messageOf } from '../errors';
import { ADAPTERS } from '../exchanges/registry';
import type { Transport } from '../http/http-client';
import { EXIT_CODE } from '../report';
import { formatReport } from './format-table';
import { LocalSecretSource } from './local-secrets';

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly isTty: boolean;
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
/** Usage errors are UNKNOWN in the monitoring-plugin convention. */
const USAGE_EXIT = EXIT_CODE.unknown;

export const HELP = `Usage: key-health check --config FILE [--json] [--only NAME,...] [--deadline-seconds N]

Checks exchange API keys: signs read-only requests exactly as each exchange requires, measures the
clock offset, reads back what the key may do, and explains every problem with a remedy.

Options:
  --config FILE           the config JSON (README, "Configuration"); required
  --json                  print the report JSON instead of a table
  --only NAME,...         check only these keys (comma-separated names from the config)
  --deadline-seconds N    stop waiting for keys after N seconds (default ${DEFAULT_DEADLINE_SECONDS})
  --no-color              plain text on a terminal too (NO_COLOR is honoured)
  -h, --help              show this help
  -v, --version           print the version

Credentials, per key in the config:
  "secretId": "name-or-arn"           read from AWS Secrets Manager with the default credential
                                      chain (AWS_PROFILE, AWS_REGION, instance role, ...)
  "credentials": {"file": "k.json"}   a JSON secret in a file (relative to the config file)
  "credentials": {"env": "VAR"}       a JSON secret in an environment variable

Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (also for a bad command line or config).
`;

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
    config = parseConfig(await readJson(configPath), { source: `config ${args.config}` });
  } catch (error) {
    io.stderr(`key-health: ${messageOf(error)}\n`);
    return USAGE_EXIT;
  }
  const secrets = new LocalSecretSource(dirname(configPath), io.env, deps.remoteSecrets);
  try {
    const { report } = await runChecks(config, {
      transport: deps.transport,
      clock: deps.clock,
      secrets,
      adapters: ADAPTERS,
      deadlineAtMs: deps.clock.now() + args.deadlineSeconds * 1000,
      ...(args.only && { only: args.only }),
    });
    const color = !args.json && io.isTty && !args.noColor && io.env.NO_COLOR === undefined;
    io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, { color }));
    return EXIT_CODE[report.status];
  } catch (error) {
    io.stderr(`key-health: ${messageOf(error)}\n`);
    return USAGE_EXIT;
  }
}

function parseCommandLine(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      'deadline-seconds': { type: 'string' },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
  const base = { help: values.help === true, version: values.version === true };
  if (base.help || base.version) return { ...base, config: '', json: false, noColor: false, deadlineSeconds: 0, only: undefined };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new Error('missing command: use "key-health check --config FILE"');
  if (command !== 'check') throw new Error(`unknown command "${command}"; the command is "check"`);
  if (extra.length > 0) throw new Error(`unexpected argument "${extra[0]}"`);
  if (!values.config) throw new Error('--config FILE is required');
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

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read config ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'read error')}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`(root): not valid JSON: ${messageOf(error)}`], `config ${path}`);
  }
}
