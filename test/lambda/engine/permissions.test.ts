import type { Expect } from '../../../lambda/config';
import { assessPermissions } from '../../../lambda/engine/permissions';
import type { Permissions } from '../../../lambda/report';

const NOTHING_KNOWN: Permissions = { view: null, trade: null, transfer: null, futures: null, ipRestricted: null };
const HEALTHY: Permissions = { view: true, trade: true, transfer: false, futures: true, ipRestricted: true };
const DEFAULT_EXPECT: Expect = { futures: true, transfer: false };
const STRICT_EXPECT: Expect = { futures: true, transfer: false, trade: true, ipRestricted: true };

const codes = (permissions: Partial<Permissions>, expect: Expect) =>
  assessPermissions({ ...NOTHING_KNOWN, ...permissions }, expect).map((f) => f.code);

describe('assessPermissions', () => {
  it.each<[string, Expect]>([
    ['the default expect', DEFAULT_EXPECT],
    ['a strict expect', STRICT_EXPECT],
    ['an expect of everything', { futures: true, transfer: true, trade: true, ipRestricted: true }],
    ['an expect of nothing', { futures: false, transfer: false, trade: false, ipRestricted: false }],
  ])('never finds anything in unknown (null) permissions with %s', (_, expectation) => {
    expect(assessPermissions(NOTHING_KNOWN, expectation)).toEqual([]);
  });

  it('finds nothing wrong with a key that matches a strict expect', () => {
    expect(assessPermissions(HEALTHY, STRICT_EXPECT)).toEqual([]);
  });

  it.each<[Partial<Permissions>, Expect, string[]]>([
    [{ view: false }, DEFAULT_EXPECT, ['PERMISSION_MISSING']],
    [{ view: false }, { futures: false, transfer: true }, ['PERMISSION_MISSING']],
    [{ view: true }, DEFAULT_EXPECT, []],
    [{ futures: false }, DEFAULT_EXPECT, ['PERMISSION_MISSING']],
    [{ futures: false }, { futures: false, transfer: false }, []],
    [{ futures: true }, { futures: false, transfer: false }, []],
    [{ trade: false }, { ...DEFAULT_EXPECT, trade: true }, ['PERMISSION_MISSING']],
    [{ trade: true }, { ...DEFAULT_EXPECT, trade: false }, ['PERMISSION_EXCESSIVE']],
    [{ trade: true }, DEFAULT_EXPECT, []],
    [{ trade: false }, DEFAULT_EXPECT, []],
    [{ transfer: true }, DEFAULT_EXPECT, ['PERMISSION_EXCESSIVE']],
    [{ transfer: false }, DEFAULT_EXPECT, []],
    [{ transfer: false }, { futures: true, transfer: true }, ['PERMISSION_MISSING']],
    [{ transfer: true }, { futures: true, transfer: true }, []],
    [{ ipRestricted: false }, { ...DEFAULT_EXPECT, ipRestricted: true }, ['IP_UNRESTRICTED']],
    [{ ipRestricted: false }, DEFAULT_EXPECT, []],
    [{ ipRestricted: false }, { ...DEFAULT_EXPECT, ipRestricted: false }, []],
    [{ ipRestricted: true }, { ...DEFAULT_EXPECT, ipRestricted: false }, []],
    [
      { view: false, futures: false, trade: true, transfer: true, ipRestricted: false },
      STRICT_EXPECT,
      ['PERMISSION_MISSING', 'PERMISSION_MISSING', 'PERMISSION_EXCESSIVE', 'IP_UNRESTRICTED'],
    ],
  ])('finds %j against expect %j: %j', (permissions, expectation, expected) => {
    expect(codes(permissions, expectation)).toEqual(expected);
  });

  it('adds the exchange’s own words as evidence of a missing permission', () => {
    const [view, futures] = assessPermissions({ ...NOTHING_KNOWN, view: false, futures: false }, DEFAULT_EXPECT, {
      view: 'Coinbase answered HTTP 403: forbidden.',
      futures: 'FCM not enabled.',
    });
    expect(view?.message).toBe('The key cannot view (read) the account, which every check needs. Coinbase answered HTTP 403: forbidden.');
    expect(futures?.message).toBe('The key cannot read the futures account (expect.futures is true). FCM not enabled.');
  });

  it('warns that a key able to move funds out is a risk', () => {
    const [finding] = assessPermissions({ ...HEALTHY, transfer: true }, DEFAULT_EXPECT);
    expect(finding?.severity).toBe('warning');
    expect(finding?.message).toContain('transfer or withdraw');
  });
});
