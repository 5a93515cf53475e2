import { ADAPTERS } from '../../../lambda/exchanges/registry';
import { type AdapterContract, describeAdapterContract } from '../../support/contract';
import { coinbaseAdvancedContract } from '../../support/contracts/coinbase-advanced';
import { coinbaseExchangeContract } from '../../support/contracts/coinbase-exchange';
import { coinbaseInternationalContract } from '../../support/contracts/coinbase-international';

/** Every adapter's contract: a new adapter joins the suite with one line here. */
const SUITE: readonly AdapterContract[] = [coinbaseAdvancedContract, coinbaseExchangeContract, coinbaseInternationalContract];

describe('the adapter contract suite', () => {
  it('covers every registered adapter, each under its registry id', () => {
    expect(SUITE.map((c) => c.adapter.id).sort()).toEqual(Object.keys(ADAPTERS).sort());
    for (const [id, adapter] of Object.entries(ADAPTERS)) expect(adapter.id).toBe(id);
  });
});

for (const contract of SUITE) describeAdapterContract(contract);
