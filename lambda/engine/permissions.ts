import type { Expect } from '../config';
import { type Finding, makeFinding } from '../findings';
import type { Permissions } from '../report';

/** Per permission, the exchange's words that show it is absent (e.g. the futures read's 403). */
export type PermissionEvidence = Partial<Record<keyof Permissions, string>>;

/** Compares what the key may do with what `expect` asks; `null` permissions never produce findings. */
export function assessPermissions(permissions: Permissions, expect: Expect, evidence: PermissionEvidence = {}): Finding[] {
  const findings: Finding[] = [];
  const because = (field: keyof Permissions) => (evidence[field] ? ` ${evidence[field]}` : '');
  if (permissions.view === false)
    findings.push(makeFinding('PERMISSION_MISSING', `The key cannot view (read) the account, which every check needs.${because('view')}`));
  if (expect.futures && permissions.futures === false)
    findings.push(
      makeFinding('PERMISSION_MISSING', `The key cannot read the futures account (expect.futures is true).${because('futures')}`),
    );
  if (expect.trade === true && permissions.trade === false)
    findings.push(makeFinding('PERMISSION_MISSING', 'The key cannot trade, but expect.trade is true.'));
  if (expect.trade === false && permissions.trade === true)
    findings.push(makeFinding('PERMISSION_EXCESSIVE', 'The key can trade, but expect.trade is false.'));
  if (expect.transfer && permissions.transfer === false)
    findings.push(makeFinding('PERMISSION_MISSING', 'The key cannot transfer funds, but expect.transfer is true.'));
  if (!expect.transfer && permissions.transfer === true)
    findings.push(
      makeFinding(
        'PERMISSION_EXCESSIVE',
        'The key can transfer or withdraw funds; expect.transfer is false, and a leaked key like this can move money out.',
      ),
    );
  if (expect.ipRestricted === true && permissions.ipRestricted === false)
    findings.push(makeFinding('IP_UNRESTRICTED', 'The key has no IP allow-list, but expect.ipRestricted is true.'));
  return findings;
}
