import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXCHANGE_IDS } from '../../lambda/exchanges/registry';

const ROOT = join(__dirname, '..', '..');

describe('npm run simulator', () => {
  it('prints every exchange origin and a ready config, serves it, and cleans up on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulator.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${out}`)), 15_000);
      child.stdout.on('data', () => {
        if (out.includes('Point a key of your own config')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    for (const id of EXCHANGE_IDS) expect(out).toMatch(new RegExp(`\\n {2}${id} +http://127\\.0\\.0\\.1:\\d+`));
    const configPath = /are in (\S+config\.json)/.exec(out)?.[1] ?? '';
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { keys: { baseUrl: string }[] };
    const origin = config.keys[0]?.baseUrl ?? '';
    expect((await fetch(`${origin}/no-such-path`)).status).toBeGreaterThanOrEqual(400);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(0);
    expect(existsSync(configPath)).toBe(false);
  }, 30_000);
});
