import type { FindingCode } from '../../../lambda/findings';
import type { ExchangeHandler, Misbehaviour, SimKey } from './sim-server';

/** A demo key: what the simulated exchange knows, what the secret says, and what the check must find. */
export interface DemoKey {
  /** The key's name in the demo config; unique across all exchanges. */
  readonly name: string;
  /** Known to the simulated exchange (omit for a key the exchange never issued). */
  readonly simKey?: SimKey;
  readonly secret: Readonly<Record<string, unknown>>;
  readonly expect?: Readonly<Record<string, boolean>>;
  /** The finding codes the demo must produce for this key. */
  readonly codes: readonly FindingCode[];
  /** How this key's exchange misbehaves (the demo starts one simulator per exchange and conditions). */
  readonly conditions?: { readonly skewMs?: number; readonly misbehave?: Misbehaviour };
}

/** One exchange's simulator, as the demo, the benchmark and the contract suite use it. */
export interface SimulatedExchange {
  /** The adapter id it simulates. */
  readonly id: string;
  readonly handler: ExchangeHandler;
  /** A key the simulator knows and its secret: healthy under the default `expect` plus {@link expect}. */
  makeKey(label: string): { simKey: SimKey; secret: Readonly<Record<string, string>> };
  /** `expect` fields that make the keys of `makeKey` healthy (e.g. `trade: true`). */
  readonly expect?: Readonly<Record<string, boolean>>;
  /**
   * Codes every working key of this exchange carries on the day `nowMs` (Kraken Futures: the dated
   * decommission finding of its REST API); a healthy key shows exactly these. None when absent.
   */
  standingCodes?(nowMs: number): readonly FindingCode[];
  /** Healthy and broken keys for `npm run demo`: at least one healthy key and one broken one. */
  demoKeys(): DemoKey[];
}

/** The simulator of exchange `id`: by convention `test/support/simulator/<id>.ts` exports it as `simulator`. */
export function loadSimulatedExchange(id: string): SimulatedExchange {
  const loaded = (require(`./${id}`) as { simulator?: SimulatedExchange }).simulator;
  if (!loaded || loaded.id !== id) throw new Error(`test/support/simulator/${id}.ts must export the simulator of ${id} as "simulator"`);
  return loaded;
}
