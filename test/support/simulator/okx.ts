import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type ExchangeHandler, json, type SimKey, type SimRequest, type SimResponse } from './sim-server';
import type { SimulatedExchange } from './simulated-exchange';

/** [V] docs-v5 "REST Authentication": more than 30 s from server time is error 50102. */
const WINDOW_MS = 30_000;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An error answer. 401s come as `{"msg","code"}` as issues quote them ([E] pyted/okx#1, pyted/okx#9,
 * ccxt#25403); the others in the documented envelope `{"code","data":[],"msg"}` ([V] docs-v5).
 */
function fail(status: number, code: string, msg: string): SimResponse {
  return status === 401 ? json(status, { msg, code }) : json(status, { code, data: [], msg });
}

// [V] docs-v5 "Error Code > REST API > Public", texts as documented.
const MISSING_HEADER = (header: string, code: string) => fail(401, code, `Request header "${header}" cannot be empty.`);
const INVALID_TIMESTAMP = fail(401, '50112', 'Invalid OK-ACCESS-TIMESTAMP.');
const TIMESTAMP_EXPIRED = fail(401, '50102', 'Timestamp request expired.');
const INVALID_KEY = fail(401, '50111', 'Invalid OK-ACCESS-KEY.');
// [V] documented as HTTP 200; [E] ccxt#23779 saw it as 401 Unauthorized, which the simulator follows.
const KEY_DOES_NOT_EXIST = fail(401, '50119', "API key doesn't exist");
const WRONG_ENVIRONMENT = fail(401, '50101', 'APIKey does not match current environment.');
const FROZEN = fail(400, '50100', 'API frozen, please contact customer service.');
// [E] ccxt#22265, sieblyio/okx-api#116: the live text has no quotes around the header name.
const WRONG_PASSPHRASE = fail(401, '50105', 'Request header OK-ACCESS-PASSPHRASE incorrect.');
const INVALID_SIGNATURE = fail(401, '50113', 'Invalid signature.');
const NO_PERMISSION = fail(200, '50120', "This API key doesn't have permission to use this function");

/**
 * What only OKX knows about a simulated key (`SimKey.extra`): `demo` (a demo-trading key, valid only with
 * `x-simulated-trading: 1`), `acctLv` (account mode; by default 2, or 1 Spot mode when `futures` is false),
 * `label` (the key's note).
 */
interface OkxExtra {
  readonly demo?: boolean;
  readonly acctLv?: string;
  readonly label?: string;
}

const ROUTES: Record<string, (key: SimKey, request: SimRequest) => SimResponse> = {
  // [V] docs-v5 "Get account configuration" response example, with the calling key's own fields.
  'GET /api/v5/account/config': (key) => {
    if (!key.permissions.view) return NO_PERMISSION;
    const extra = (key.extra ?? {}) as OkxExtra;
    const perm = ['read_only', ...(key.permissions.trade ? ['trade'] : []), ...(key.permissions.transfer ? ['withdraw'] : [])].join(',');
    return json(200, {
      code: '0',
      data: [
        {
          acctLv: extra.acctLv ?? (key.futures ? '2' : '1'),
          acctStpMode: 'cancel_maker',
          autoLoan: false,
          ctIsoMode: 'automatic',
          enableSpotBorrow: false,
          greeksType: 'PA',
          feeType: '0',
          ip: key.ipRestricted ? '203.0.113.10,198.51.100.0/24' : '',
          type: '0',
          kycLv: '3',
          label: extra.label ?? 'bot',
          level: 'Lv1',
          levelTmp: '',
          liquidationGear: '-1',
          mainUid: '44705892343619584',
          mgnIsoMode: 'automatic',
          opAuth: '1',
          perm,
          posMode: 'net_mode',
          roleType: '0',
          spotBorrowAutoRepay: false,
          spotOffsetType: '',
          spotRoleType: '0',
          spotTraderInsts: [],
          stgyType: '0',
          traderInsts: [],
          uid: '44705892343619584',
        },
      ],
      msg: '',
    });
  },
  // [V] docs-v5 "Get balance" response example, cut to the fields a USDT holding shows.
  'GET /api/v5/account/balance': (key) => {
    if (!key.permissions.view) return NO_PERMISSION;
    return json(200, {
      code: '0',
      data: [
        {
          adjEq: '',
          details: [
            {
              availBal: '1000',
              availEq: '1000',
              cashBal: '1000',
              ccy: 'USDT',
              eq: '1000',
              eqUsd: '999.8',
              frozenBal: '0',
              ordFrozen: '0',
              uTime: '1705449605015',
              upl: '0',
            },
          ],
          imr: '',
          isoEq: '0',
          mgnRatio: '',
          mmr: '',
          notionalUsd: '',
          ordFroz: '',
          totalEq: '999.8',
          uTime: '1705474164160',
          upl: '',
        },
      ],
      msg: '',
    });
  },
};

/**
 * OKX v5 as the tests see it. Order of the checks [U] (OKX does not document it): headers present,
 * timestamp format and 30 s window, key known, environment (live or demo), frozen, passphrase, signature,
 * then the IP allow-list, so a 50110 means the credentials themselves were right.
 */
export const okxHandler: ExchangeHandler = (request, keys) => {
  if (request.method === 'GET' && request.path === '/api/v5/public/time')
    return json(200, { code: '0', msg: '', data: [{ ts: String(request.serverNowMs) }] });
  const route = ROUTES[`${request.method} ${request.path}`];
  // Not one of the reads the adapter sends.
  if (!route) return json(404, { code: '404', msg: 'Not Found' });
  const key = authenticate(request, keys);
  return 'status' in key ? key : route(key, request);
};

function authenticate(request: SimRequest, keys: ReadonlyMap<string, SimKey>): SimKey | SimResponse {
  const h = request.headers;
  const apiKey = h['ok-access-key'];
  const sign = h['ok-access-sign'];
  const timestamp = h['ok-access-timestamp'];
  const passphrase = h['ok-access-passphrase'];
  if (!apiKey) return MISSING_HEADER('OK-ACCESS-KEY', '50103');
  if (!passphrase) return MISSING_HEADER('OK-ACCESS-PASSPHRASE', '50104');
  if (!sign) return MISSING_HEADER('OK-ACCESS-SIGN', '50106');
  if (!timestamp) return MISSING_HEADER('OK-ACCESS-TIMESTAMP', '50107');
  if (!ISO_MS.test(timestamp)) return INVALID_TIMESTAMP;
  if (Math.abs(Date.parse(timestamp) - request.serverNowMs) > WINDOW_MS) return TIMESTAMP_EXPIRED;
  const key = keys.get(apiKey);
  // [U] 50111 for text that cannot be an OKX key, 50119 for a well-formed key OKX does not hold.
  if (!key) return UUID.test(apiKey) ? KEY_DOES_NOT_EXIST : INVALID_KEY;
  // [E] 50101 for a demo key sent without the demo header (knowm/XChange#4518, amir-the-h/okex#51) and for a
  // live key sent with it (jane-cloud/Open-API-SDK-V5#7: "demo keys only call demo trading, live keys only live").
  const demo = ((key.extra ?? {}) as OkxExtra).demo === true;
  if (demo !== (h['x-simulated-trading'] === '1')) return WRONG_ENVIRONMENT;
  if (key.disabled) return FROZEN;
  if (passphrase !== key.passphrase) return WRONG_PASSPHRASE;
  const path = request.query ? `${request.path}?${request.query}` : request.path;
  const expected = createHmac('sha256', key.secret).update(`${timestamp}${request.method}${path}${request.body}`).digest();
  const given = Buffer.from(sign, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return INVALID_SIGNATURE;
  if (key.ipBlocked)
    return fail(401, '50110', `Your IP ${request.remoteAddress.replace(/^::ffff:/, '')} is not included in your API key's IP whitelist.`);
  return key;
}

/** A secret key as OKX shows one: 32 upper-case hexadecimal characters ([V] docs-v5 example `22582BD0CFF14C41EDBF1AB98506286D`). */
function newSecret(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

const TRADER = { view: true, trade: true, transfer: false };

/** A key OKX knows: by default a trade key bound to IP addresses in Futures mode, which is healthy. */
function okxKey(apiKey: string, more: Partial<SimKey> = {}): { simKey: SimKey; secret: Record<string, string> } {
  const apiSecret = newSecret();
  const passphrase = `Pass-${randomBytes(4).toString('hex')}!`;
  return {
    simKey: { apiKey, secret: apiSecret, passphrase, permissions: TRADER, futures: true, ipRestricted: true, ...more },
    secret: { apiKey, apiSecret, passphrase },
  };
}

/** OKX v5 for the demo, the benchmark and the contract suite. */
export const simulator: SimulatedExchange = {
  id: 'okx',
  handler: okxHandler,
  makeKey: () => okxKey(randomUUID()),
  demoKeys() {
    const desk = okxKey(randomUUID(), { extra: { label: 'desk' } });
    const unbound = okxKey(randomUUID(), { ipRestricted: false });
    const withdraw = okxKey(randomUUID(), { permissions: { view: true, trade: true, transfer: true } });
    const spot = okxKey(randomUUID(), { futures: false });
    const demo = okxKey(randomUUID(), { extra: { demo: true } });
    const frozen = okxKey(randomUUID(), { disabled: true });
    const blocked = okxKey(randomUUID(), { ipBlocked: true });
    const elsewhere = okxKey(randomUUID());
    return [
      { name: 'okx-desk', simKey: desk.simKey, secret: desk.secret, codes: [] },
      { name: 'okx-unbound-trader', simKey: unbound.simKey, secret: unbound.secret, codes: ['KEY_EXPIRING'] },
      { name: 'okx-can-withdraw', simKey: withdraw.simKey, secret: withdraw.secret, codes: ['PERMISSION_EXCESSIVE'] },
      { name: 'okx-spot-mode', simKey: spot.simKey, secret: spot.secret, codes: ['PERMISSION_MISSING'] },
      { name: 'okx-demo-key-on-live', simKey: demo.simKey, secret: demo.secret, codes: ['AUTH_INVALID_KEY'] },
      { name: 'okx-frozen', simKey: frozen.simKey, secret: frozen.secret, codes: ['KEY_EXPIRED'] },
      { name: 'okx-ip-blocked', simKey: blocked.simKey, secret: blocked.secret, codes: ['IP_NOT_ALLOWED'] },
      // An EEA account's key sent to www.okx.com: the exchange never issued it here.
      { name: 'okx-eea-key', secret: elsewhere.secret, codes: ['AUTH_INVALID_KEY'] },
      {
        name: 'okx-old-passphrase',
        simKey: desk.simKey,
        secret: { ...desk.secret, passphrase: 'Old-Passphrase-1!' },
        codes: ['AUTH_INVALID_PASSPHRASE'],
      },
    ];
  },
};
