import { parseConfig } from '../../lambda/config';
import { InvalidEventError } from '../../lambda/errors';
import { computeRunDeadline, MIN_RUN_MS, parseInvocation, SAFETY_MARGIN_MS } from '../../lambda/invocation';

const CONFIG = parseConfig({
  keys: [
    { name: 'cb-main', exchange: 'coinbase-exchange', secretId: 'trading/cb-main' },
    { name: 'cb-backup', exchange: 'coinbase-exchange', secretId: 'trading/cb-backup' },
  ],
});

const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-27T10:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/KeyHealthSchedule'],
  detail: {},
};

describe('parseInvocation', () => {
  it.each([
    ["EventBridge's scheduled event", SCHEDULED_EVENT, { keys: undefined, dryRun: false }],
    ['an empty event', {}, { keys: undefined, dryRun: false }],
    ['no event', null, { keys: undefined, dryRun: false }],
    ['a dry run of every key', { dryRun: true }, { keys: undefined, dryRun: true }],
    ['a dry run of one key', { keys: ['cb-backup'], dryRun: true }, { keys: ['cb-backup'], dryRun: true }],
    ['a real run of named keys, repeated once', { keys: ['cb-main', 'cb-main'] }, { keys: ['cb-main'], dryRun: false }],
  ])('reads %s', (_label, event, expected) => {
    expect(parseInvocation(event, CONFIG)).toEqual(expected);
  });

  it.each([
    [
      'an unknown key name',
      { keys: ['cb-main', 'cb-mian'], dryRun: true },
      'unknown key name(s) "cb-mian"; configured: cb-main, cb-backup',
    ],
    ['a misspelt dryRun', { keys: ['cb-main'], dryrun: true }, 'unknown field(s) "dryrun"'],
    ['dryRun as a string', { dryRun: 'true' }, '"dryRun" must be true or false, got "true"'],
    ['keys as a string', { keys: 'cb-main' }, '"keys" must be a non-empty list of key names'],
    ['an empty list of keys', { keys: [] }, '"keys" must be a non-empty list of key names'],
    ['a list of numbers', { keys: [1] }, '"keys" must be a non-empty list of key names'],
    ['a string event', 'cb-main', 'expected an object, got string'],
  ])('refuses %s with a message that says what is wrong', (_label, event, message) => {
    const run = () => parseInvocation(event, CONFIG);
    expect(run).toThrow(InvalidEventError);
    expect(run).toThrow(message);
    expect(run).toThrow('a manual run is {"keys": ["name", ...], "dryRun": true}');
  });
});

describe('computeRunDeadline', () => {
  it.each([
    ['a 60 s invocation', 60_000, 60_000 - SAFETY_MARGIN_MS],
    ['just past the margin', SAFETY_MARGIN_MS + MIN_RUN_MS + 1, MIN_RUN_MS + 1],
    ['exactly margin plus minimum', SAFETY_MARGIN_MS + MIN_RUN_MS, MIN_RUN_MS],
    ['less time than the margin', 4_000, MIN_RUN_MS],
  ])('leaves the safety margin for %s, never below the minimum', (_label, remainingMs, runMs) => {
    expect(computeRunDeadline(1_000_000, remainingMs)).toBe(1_000_000 + runMs);
  });
});
