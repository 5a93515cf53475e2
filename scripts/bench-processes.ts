/**
 * The processes of `npm run bench`, each started fresh so that nothing it measures is warm by
 * accident: the world (scripts/bench-simulator.ts), the checking process (scripts/bench-worker.ts),
 * the transport floor (scripts/bench-floor.ts), and a whole-process runner that times a bundle from
 * process start to its first report.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FloorMessage, FloorPlan } from './bench-floor';
import type { World, WorldCounts, WorldMessage, WorldRequest } from './bench-simulator';
import type { WorkerMessage, WorkerPlan, WorkerRun } from './bench-worker';

const CHILDREN = new Set<ChildProcess>();

/** Ends every process the bench started that is still running (after a failure). */
export function killChildren(): void {
  for (const child of CHILDREN) if (child.exitCode === null && child.signalCode === null) child.kill();
}

function track<T extends ChildProcess>(child: T): T {
  CHILDREN.add(child);
  child.on('exit', () => CHILDREN.delete(child));
  return child;
}

/** Dummy credentials for the local AWS endpoints, read by the SDK's default chain as Lambda's are (from the environment). */
export const BENCH_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'AKIAKEYHEALTHBENCH00',
  AWS_SECRET_ACCESS_KEY: 'key-health-bench-not-a-secret',
  AWS_SESSION_TOKEN: 'key-health-bench',
  AWS_REGION: 'us-east-1',
  // The Lambda runs Node.js 24, where the SDK prints no Node-version notice; here it would only add noise.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** A child's environment: this one's, without anything that would send the SDK elsewhere, plus `extra`. */
export function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/^AWS_/.test(name) && name !== 'NODE_OPTIONS' && name !== 'NODE_EXTRA_CA_CERTS') env[name] = value;
  return { ...env, ...BENCH_AWS_ENV, ...extra };
}

/** The world process, started and answering. */
export interface WorldProcess {
  readonly world: World;
  counts(): Promise<WorldCounts>;
  reset(): void;
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

/** Starts scripts/bench-simulator.ts and waits for its world. */
export async function startWorldProcess(request: WorldRequest): Promise<WorldProcess> {
  const child = track(
    fork(join(__dirname, 'bench-simulator.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  child.send({ start: request });
  const first = await nextMessage<WorldMessage>(child);
  if (!('ready' in first)) {
    child.kill();
    throw new Error(`the world did not start: ${'error' in first ? first.error : 'no answer'}`);
  }
  return {
    world: first.ready,
    counts: async () => {
      child.send({ type: 'counts' });
      const answer = await nextMessage<WorldMessage>(child);
      if (!('counts' in answer)) throw new Error('the world did not answer its counts');
      return answer.counts;
    },
    reset: () => child.send({ type: 'reset' }),
    setLatency: (ms) => child.send({ type: 'latency', ms }),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' });
      await once(child, 'exit');
    },
  };
}

/** A checking process: invoke it, then ask for its peak memory (which ends it). */
export interface WorkerProcess {
  /** Process start to the handler being built, ms. */
  readonly startupMs: number;
  run(): Promise<WorkerRun>;
  done(): Promise<{ maxRssMb: number; heapUsedMb: number }>;
}

/** Starts the bundled scripts/bench-worker.ts with `plan`; `nodeArgs` go before the script (e.g. --cpu-prof). */
export async function startWorker(bundle: string, plan: WorkerPlan, nodeArgs: readonly string[] = []): Promise<WorkerProcess> {
  const child = track(spawn(process.execPath, [...nodeArgs, bundle], { env: childEnv({}), stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
  child.send(plan);
  // The handler's log lines: read, as Lambda's runtime reads them, and dropped (its warnings and errors
  // shown with KEY_HEALTH_BENCH_DEBUG=1; they carry no secret, as in CloudWatch).
  if (process.env.KEY_HEALTH_BENCH_DEBUG === '1')
    child.stdout?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (/"level":"(WARN|ERROR)"/.test(line)) process.stderr.write(`${line}\n`);
    });
  else child.stdout?.resume();
  const ready = await nextMessage<WorkerMessage>(child);
  if (!('ready' in ready)) throw new Error(`the checking process did not start: ${describe(ready)}`);
  return {
    startupMs: ready.ready.startupMs,
    run: async () => {
      child.send({ type: 'run' });
      const answer = await nextMessage<WorkerMessage>(child);
      if (!('run' in answer)) throw new Error(`the checking process failed: ${describe(answer)}`);
      // A few keys failing under load is reported, not fatal; a run where most fail measures nothing.
      if (answer.run.unhealthy > answer.run.keys / 100)
        throw new Error(`${answer.run.unhealthy} bench keys were not healthy, e.g. ${answer.run.problem}`);
      if (answer.run.problem)
        process.stderr.write(`bench: ${answer.run.unhealthy} of ${answer.run.keys} keys not healthy, e.g. ${answer.run.problem}\n`);
      return answer.run;
    },
    done: async () => {
      child.send({ type: 'done' });
      const answer = await nextMessage<WorkerMessage>(child);
      if (child.exitCode === null) await once(child, 'exit');
      if (!('memory' in answer)) throw new Error(`the checking process did not report its memory: ${describe(answer)}`);
      return answer.memory;
    },
  };
}

/** Runs the bundled scripts/bench-floor.ts with `plan` in a fresh process. */
export async function runFloor(bundle: string, plan: FloorPlan): Promise<{ wallMs: number; cpuMs: number; requests: number }[]> {
  const child = track(spawn(process.execPath, [bundle], { env: childEnv({}), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  child.send(plan);
  const answer = await nextMessage<FloorMessage>(child);
  if (child.exitCode === null) await once(child, 'exit');
  if (!('rounds' in answer)) throw new Error(`the floor failed: ${'error' in answer ? answer.error : 'no answer'}`);
  return answer.rounds;
}

/**
 * A whole-process run of a bundle's `handler`: requires the bundle, calls the handler once per event
 * (all at once), `batches` times, and prints one line: process start to the first batch's end
 * (ms, from the process's own clock origin), the import time, and the CPU of the last batch.
 * The same for key-health's bundle and ccxt's, so neither is timed by a different harness.
 */
export const RUNNER_SOURCE = `'use strict';
const importStarted = performance.now();
const mod = require(process.env.BENCH_BUNDLE);
const importMs = performance.now() - importStarted;
const events = JSON.parse(process.env.BENCH_EVENTS);
const batches = Number(process.env.BENCH_BATCHES || '1');
const context = { getRemainingTimeInMillis: () => 120000, functionName: 'key-health-bench', awsRequestId: 'bench' };
const okOf = (answer) => answer && (answer.ok === true || answer.status === 'ok');
(async () => {
  let firstReportMs = 0;
  let cpuMs = 0;
  let ok = true;
  for (let batch = 0; batch < batches; batch++) {
    const cpu = process.cpuUsage();
    const answers = await Promise.all(events.map((event) => mod.handler(event, context)));
    const used = process.cpuUsage(cpu);
    if (batch === 0) firstReportMs = performance.now();
    cpuMs = (used.user + used.system) / 1000;
    ok = ok && answers.every(okOf);
  }
  process.stdout.write('\\nBENCH-RESULT ' + JSON.stringify({ firstReportMs, importMs, cpuMs, ok }) + '\\n');
  process.exit(0);
})().catch((error) => { process.stdout.write('\\nBENCH-RESULT ' + JSON.stringify({ error: String(error && error.name) }) + '\\n'); process.exit(1); });
`;

/** What one whole-process run measured. */
export interface RunnerResult {
  /** Spawn to the first report, as the parent saw it, ms. */
  readonly spawnToReportMs: number;
  /** The child's own clock: process start to the first report, ms. */
  readonly firstReportMs: number;
  readonly importMs: number;
  /** CPU of the last batch, ms. */
  readonly cpuMs: number;
}

/** Writes {@link RUNNER_SOURCE} to `dir` and returns its path. */
export function writeRunner(dir: string): string {
  const file = join(dir, 'runner.js');
  writeFileSync(file, RUNNER_SOURCE);
  return file;
}

/** Runs `runner` on `bundle` in a fresh process with `env` and `events`; `nodeArgs` go before the script. */
export async function runBundle(
  runner: string,
  bundle: string,
  events: readonly unknown[],
  env: Readonly<Record<string, string>>,
  batches = 1,
  nodeArgs: readonly string[] = [],
): Promise<RunnerResult> {
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [...nodeArgs, runner], {
      env: childEnv({ ...env, BENCH_BUNDLE: bundle, BENCH_EVENTS: JSON.stringify(events), BENCH_BATCHES: String(batches) }),
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  let output = '';
  let reportedAt = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (reportedAt === 0 && output.includes('\nBENCH-RESULT ')) reportedAt = performance.now();
  });
  await once(child, 'exit');
  const line = output.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  const result = line ? (JSON.parse(line.slice('BENCH-RESULT '.length)) as Record<string, unknown>) : {};
  if (result.ok !== true) throw new Error(`${bundle} did not report a healthy key: ${JSON.stringify(result)}`);
  return {
    spawnToReportMs: round1(reportedAt - started),
    firstReportMs: round1(Number(result.firstReportMs)),
    importMs: round1(Number(result.importMs)),
    cpuMs: round1(Number(result.cpuMs)),
  };
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => {
      child.off('message', onMessage);
      reject(new Error(`the process exited (${code}) before answering`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

function describe(message: WorkerMessage): string {
  return 'error' in message ? message.error : JSON.stringify(message);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
