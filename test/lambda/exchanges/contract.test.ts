import { ADAPTERS, EXCHANGE_IDS } from '../../../lambda/exchanges/registry';
import { describeAdapterContract, loadAdapterContract } from '../../support/contract';

describe('the adapter contract suite', () => {
  it('has a contract fixture for every registered adapter, each under its registry id', () => {
    for (const [id, adapter] of Object.entries(ADAPTERS)) expect(adapter.id).toBe(id);
    expect(EXCHANGE_IDS.map((id) => loadAdapterContract(id).adapter.id)).toEqual(EXCHANGE_IDS);
  });
});

// Every registered adapter runs the suite: its fixture is found by its id (test/support/contracts/<id>.ts).
for (const id of EXCHANGE_IDS) describeAdapterContract(loadAdapterContract(id));
