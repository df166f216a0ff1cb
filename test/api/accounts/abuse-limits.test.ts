import assert from 'node:assert/strict';
import { createHmac, hash, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import type { Running } from '../../../src/boot.ts';
import { createUser as createUserRow } from '../../../src/accounts/users.ts';
import { OTP_MAX_ATTEMPTS } from '../../../src/accounts/otp.ts';
import { loadConfig } from '../../../src/config.ts';
import { startApp, TEST_SECRET_KEY, type TestApp } from '../../support/app.ts';
import { secondInstance } from '../../support/instances.ts';
import { TEST_REDIS_URL } from '../../support/redis.ts';
import { CLIENT, CLIENT_ENV, lastOtp } from './support.ts';

const DEFAULTS = loadConfig({}).rateLimits;
const PASSWORD = 'the right password, long enough';

/** A client address of its own for each test: the per-address limits of one test do not leak into another (or, in Redis, into the next run). */
const newAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
/** A valid Indian mobile number no other test (or run, in Redis) uses. */
const newMobile = () => `+919${String(randomInt(1e8, 1e9))}`;
const wrongCode = (code: string) => (code === '000000' ? '111111' : '000000');

type Requester = (options: InjectOptions) => Promise<{ statusCode: number; headers: Record<string, unknown>; json: () => any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

function client(send: Requester) {
  return {
    passwordGrant: (username: string, password: string, remoteAddress: string) =>
      send({
        method: 'POST',
        url: '/auth/token/',
        remoteAddress,
        payload: { grant_type: 'password', username, password, client_id: CLIENT.id, client_secret: CLIENT.secret },
      }),
    refreshGrant: (refreshToken: string, remoteAddress: string) =>
      send({
        method: 'POST',
        url: '/auth/token/',
        remoteAddress,
        payload: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT.id, client_secret: CLIENT.secret },
      }),
    requestOtp: (mobile: string, remoteAddress: string) =>
      send({ method: 'POST', url: '/api/v1/otp/request/', remoteAddress, payload: { mobile } }),
    verifyOtp: (mobile: string, otp: string, remoteAddress: string) =>
      send({ method: 'POST', url: '/api/v1/otp/verify/', remoteAddress, payload: { mobile, otp } }),
    sso: (apiKey: string, uniqueId: string, remoteAddress: string) =>
      send({ method: 'POST', url: '/auth/generate-external-auth-access-token/', remoteAddress, payload: { api_key: apiKey, unique_id: uniqueId } }),
  };
}

/** Status codes of a batch of responses, counted: `{ 400: 10, 429: 70 }`. */
const tally = (responses: { statusCode: number }[]) =>
  responses.reduce<Record<number, number>>((counts, { statusCode }) => ({ ...counts, [statusCode]: (counts[statusCode] ?? 0) + 1 }), {});

function assertRefused(response: { statusCode: number; headers: Record<string, unknown>; json: () => { detail?: unknown } }, detail: RegExp, maxSeconds: number) {
  assert.equal(response.statusCode, 429);
  assert.match(String(response.json().detail), detail);
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${String(response.headers['retry-after'])}`);
}

describe('abuse limits with the default settings', () => {
  let app: TestApp;
  let dir: string;
  let outbox: string;
  let api: ReturnType<typeof client>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plio-abuse-'));
    outbox = join(dir, 'outbox.jsonl');
    app = await startApp({ ...CLIENT_ENV, SMS_DRIVER: 'outbox', SMS_OUTBOX_FILE: outbox });
    api = client((options) => app.request(options));
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const newAccount = async () => {
    const email = `guessed-${randomInt(1e9)}@example.org`;
    await createUserRow(app.context.db, { email, password: PASSWORD });
    return email;
  };

  it(`refuses the right password after ${DEFAULTS.passwordAccount!.points} wrong ones, with Retry-After; other accounts are not affected`, async () => {
    const email = await newAccount();
    const address = newAddress();
    for (let guess = 0; guess < DEFAULTS.passwordAccount!.points; guess++) {
      assert.equal((await api.passwordGrant(email, `wrong ${guess}`, address)).statusCode, 400);
    }
    assertRefused(await api.passwordGrant(email.toUpperCase(), PASSWORD, newAddress()), /^Too many failed sign-ins for this account\. Try again in \d+ seconds\.$/, 15 * 60);
    assert.equal((await api.passwordGrant(await newAccount(), PASSWORD, address)).statusCode, 200);
  });

  it('a right password clears the wrong guesses before it', async () => {
    const email = await newAccount();
    const address = newAddress();
    for (let round = 0; round < 2; round++) {
      for (let guess = 0; guess < DEFAULTS.passwordAccount!.points - 1; guess++) {
        assert.equal((await api.passwordGrant(email, 'wrong', address)).statusCode, 400);
      }
      assert.equal((await api.passwordGrant(email, PASSWORD, address)).statusCode, 200);
    }
  });

  it('checks exactly the limit of 80 simultaneous guesses of one password', async () => {
    const email = await newAccount();
    const address = newAddress();
    const burst = await Promise.all(Array.from({ length: 80 }, (_, i) => api.passwordGrant(email, `wrong ${i}`, address)));
    assert.deepEqual(tally(burst), { 400: DEFAULTS.passwordAccount!.points, 429: 80 - DEFAULTS.passwordAccount!.points });
    assert.equal((await api.passwordGrant(email, PASSWORD, address)).statusCode, 429);
  });

  it(`refuses an address after ${DEFAULTS.failedLoginsAddress!.points} failed logins of any kind; its successful logins cost nothing`, async () => {
    const address = newAddress();
    const organization = await app.context.tenancy.organizations.create({ name: 'SSO school', shortcode: `sso-${randomInt(1e9)}` });
    // A classroom signing in, 20 at a time (an attempt in flight is counted until it succeeds).
    for (let batch = 0; batch < 6; batch++) {
      const logins = await Promise.all(Array.from({ length: 20 }, (_, i) => api.sso(organization.apiKey, `learner-${batch}-${i}`, address)));
      assert.deepEqual(tally(logins), { 200: 20 });
    }
    const failures = DEFAULTS.failedLoginsAddress!.points;
    const kinds = [
      () => api.passwordGrant(`nobody-${randomInt(1e9)}@example.org`, 'x', address),
      () => api.refreshGrant('not-a-refresh-token', address),
      () => api.sso('not-an-api-key', 'someone', address),
    ];
    const answers = await Promise.all(Array.from({ length: failures }, (_, i) => kinds[i % kinds.length]!()));
    assert.ok(answers.every((response) => response.statusCode === 400), JSON.stringify(tally(answers)));
    assertRefused(await api.sso(organization.apiKey, 'learner-0-0', address), /^Too many failed sign-ins from this address\. Try again in \d+ seconds\.$/, 15 * 60);
    assert.equal((await api.passwordGrant(await newAccount(), 'wrong', address)).statusCode, 429);
    assert.equal((await api.sso(organization.apiKey, 'learner-0-0', newAddress())).statusCode, 200, 'another address is not refused');
  });

  it(`checks exactly ${OTP_MAX_ATTEMPTS} of 80 simultaneous OTP guesses, and refuses the right code as the 6th guess of a burst`, async () => {
    const mobile = newMobile();
    const address = newAddress();
    assert.equal((await api.requestOtp(mobile, address)).statusCode, 200);
    const code = await lastOtp(outbox, mobile);
    const burst = await Promise.all(Array.from({ length: 80 }, () => api.verifyOtp(mobile, wrongCode(code), address)));
    assert.deepEqual(tally(burst), { 401: OTP_MAX_ATTEMPTS, 429: 80 - OTP_MAX_ATTEMPTS });
    const row = await app.context.db.selectFrom('public.one_time_password').select('attempts').where('mobile', '=', mobile).executeTakeFirstOrThrow();
    assert.equal(row.attempts, OTP_MAX_ATTEMPTS);
    assertRefused(await api.verifyOtp(mobile, code, address), /^Too many incorrect OTP attempts\. Request a new OTP\.$/, 300);

    // Five wrong guesses and the right one, all at once: the right one is compared only if it is among the five.
    const again = newMobile();
    await api.requestOtp(again, address);
    const fresh = await lastOtp(outbox, again);
    await Promise.all(Array.from({ length: OTP_MAX_ATTEMPTS }, () => api.verifyOtp(again, wrongCode(fresh), address)));
    const sixth = await Promise.all([api.verifyOtp(again, fresh, address), ...Array.from({ length: 10 }, () => api.verifyOtp(again, wrongCode(fresh), address))]);
    assert.deepEqual(tally(sixth), { 429: 11 });
  });

  it('stores a code no one can recover from the table without the key', async () => {
    const mobile = newMobile();
    await api.requestOtp(mobile, newAddress());
    const code = await lastOtp(outbox, mobile);
    const { otp_hash: stored } = await app.context.db.selectFrom('public.one_time_password').select('otp_hash').where('mobile', '=', mobile).executeTakeFirstOrThrow();
    // What recovered a live code in under 2 s before: hashing all million codes the unkeyed way.
    let recovered: string | undefined;
    for (let guess = 0; guess < 1_000_000 && !recovered; guess++) {
      const candidate = String(guess).padStart(6, '0');
      if (hash('sha256', `${mobile}:${candidate}`) === stored) recovered = candidate;
    }
    assert.equal(recovered, undefined);
    assert.notEqual(createHmac('sha256', 'some other key').update('otp').update('\0').update(`${mobile}:${code}`).digest('hex'), stored);
    // The test is sound: with the key, the same search finds it.
    const withKey = (text: string) => createHmac('sha256', TEST_SECRET_KEY).update('otp').update('\0').update(text).digest('hex');
    assert.equal(withKey(`${mobile}:${code}`), stored);
  });

  it('stores tokens under the key too', async () => {
    const email = await newAccount();
    const pair = (await api.passwordGrant(email, PASSWORD, newAddress())).json();
    const rows = await app.context.db.selectFrom('public.oauth_access_token').select('token_hash').execute();
    const hashes = new Set(rows.map((row) => row.token_hash));
    assert.equal(hashes.has(hash('sha256', pair.access_token)), false);
    assert.equal(hashes.has(createHmac('sha256', TEST_SECRET_KEY).update('token').update('\0').update(pair.access_token).digest('hex')), true);
  });
});

describe('abuse limits: windows, refresh grants, the client address behind a proxy', () => {
  let app: TestApp;
  let api: ReturnType<typeof client>;
  const WINDOW_SECONDS = 6;
  before(async () => {
    app = await startApp({
      ...CLIENT_ENV,
      RATE_LIMIT_PASSWORD_ACCOUNT: `60/${WINDOW_SECONDS}s`,
      RATE_LIMIT_REFRESH_ACCOUNT: '3/15m',
      RATE_LIMIT_OTP_ADDRESS: '2/15m',
      TRUST_PROXY: '127.0.0.1',
    });
    api = client((options) => app.request(options));
  });
  after(() => app.close());

  it('refuses the 61st guess, even the right password, and lets the right password in after the window', async () => {
    const email = `window-${randomInt(1e9)}@example.org`;
    await createUserRow(app.context.db, { email, password: PASSWORD });
    const address = newAddress();
    const guesses = await Promise.all(Array.from({ length: 60 }, (_, i) => api.passwordGrant(email, `wrong ${i}`, address)));
    assert.deepEqual(tally(guesses), { 400: 60 });
    const sixtyFirst = await api.passwordGrant(email, PASSWORD, address);
    assertRefused(sixtyFirst, /^Too many failed sign-ins for this account\./, WINDOW_SECONDS);
    await sleep(Number(sixtyFirst.headers['retry-after']) * 1000 + 200);
    assert.equal((await api.passwordGrant(email, PASSWORD, address)).statusCode, 200);
  });

  it('counts the refresh grants of an account', async () => {
    const email = `refresher-${randomInt(1e9)}@example.org`;
    await createUserRow(app.context.db, { email, password: PASSWORD });
    let pair = (await api.passwordGrant(email, PASSWORD, newAddress())).json();
    for (let i = 0; i < 3; i++) {
      const refreshed = await api.refreshGrant(pair.refresh_token, newAddress());
      assert.equal(refreshed.statusCode, 200);
      pair = refreshed.json();
    }
    assertRefused(await api.refreshGrant(pair.refresh_token, newAddress()), /^Too many token refreshes for this account\./, 15 * 60);
  });

  it('counts the address X-Forwarded-For names when TRUST_PROXY trusts the sender', async () => {
    const request = (forwardedFor: string, remoteAddress = '127.0.0.1') =>
      app.request({ method: 'POST', url: '/api/v1/otp/request/', remoteAddress, headers: { 'x-forwarded-for': forwardedFor }, payload: { mobile: newMobile() } });
    const school = newAddress();
    assert.equal((await request(school)).statusCode, 200);
    assert.equal((await request(school)).statusCode, 200);
    assertRefused(await request(school), /^Too many OTP requests from this address\./, 15 * 60);
    assert.equal((await request(newAddress())).statusCode, 200, 'the proxy itself is not one client');
    // An untrusted sender cannot pick its address.
    const untrusted = newAddress();
    for (let i = 0; i < 2; i++) assert.equal((await request(newAddress(), untrusted)).statusCode, 200);
    assert.equal((await request(newAddress(), untrusted)).statusCode, 429);
  });
});

describe('abuse limits hold across instances through Redis', () => {
  let app: TestApp;
  let second: Running;
  let dir: string;
  let outbox: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plio-abuse-redis-'));
    outbox = join(dir, 'outbox.jsonl');
    const env = { ...CLIENT_ENV, REDIS_URL: TEST_REDIS_URL, SMS_DRIVER: 'outbox', SMS_OUTBOX_FILE: outbox };
    app = await startApp(env);
    second = await secondInstance(app, env);
  });
  after(async () => {
    await second.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('OTP requests of one number, whichever way it is written, share one window on both instances', async () => {
    const mobile = newMobile();
    const forms = [mobile, mobile.slice(1), `00${mobile.slice(1)}`, mobile.slice(3)];
    const instances = [app.app, second.app];
    for (let i = 0; i < DEFAULTS.otpMobile!.points; i++) {
      const response = await instances[i % 2]!.inject({ method: 'POST', url: '/api/v1/otp/request/', remoteAddress: newAddress(), payload: { mobile: forms[i % forms.length] } });
      assert.equal(response.statusCode, 200);
    }
    for (const instance of instances) {
      const refused = await instance.inject({ method: 'POST', url: '/api/v1/otp/request/', remoteAddress: newAddress(), payload: { mobile: forms[3] } });
      assertRefused({ ...refused, json: () => refused.json() }, /^Too many OTP requests for this mobile number\./, 15 * 60);
    }
    // The code one instance sent is verified by the other: both hash under the same key.
    const verified = await second.app.inject({ method: 'POST', url: '/api/v1/otp/verify/', payload: { mobile, otp: await lastOtp(outbox, mobile) } });
    assert.equal(verified.statusCode, 200);
  });

  it('wrong passwords on both instances add up', async () => {
    const email = `shared-${randomInt(1e9)}@example.org`;
    await createUserRow(app.context.db, { email, password: PASSWORD });
    const both = [client((options) => app.request(options)), client((options) => second.app.inject(options))];
    const guesses = await Promise.all(Array.from({ length: 40 }, (_, i) => both[i % 2]!.passwordGrant(email, 'wrong', newAddress())));
    assert.equal(guesses.filter((response) => response.statusCode === 400).length, DEFAULTS.passwordAccount!.points, JSON.stringify(tally(guesses)));
    assert.equal((await both[1]!.passwordGrant(email, PASSWORD, newAddress())).statusCode, 429);
  });
});
