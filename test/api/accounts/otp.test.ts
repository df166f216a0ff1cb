import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAccounts } from '../../../src/accounts/feature.ts';
import { OTP_MAX_ATTEMPTS } from '../../../src/accounts/otp.ts';
import { loadConfig } from '../../../src/config.ts';
import { startApp, type TestApp } from '../../support/app.ts';
import { bearer, CLIENT_ENV, lastOtp, testClock } from './support.ts';

const clock = testClock();
/** The default limit: these tests run with the limits a fresh installation has. */
const OTP_MAX_REQUESTS = loadConfig({}).rateLimits.otpMobile!.points;

describe('OTP login (ported from tests/integration/auth/test_otp.py and users/tests.py)', () => {
  let app: TestApp;
  let dir: string;
  let outbox: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plio-otp-'));
    outbox = join(dir, 'outbox.jsonl');
    app = await startApp({ ...CLIENT_ENV, SMS_DRIVER: 'outbox', SMS_OUTBOX_FILE: outbox }, { features: [createAccounts({ clock })] });
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const request = (mobile: unknown) => app.request({ method: 'POST', url: '/api/v1/otp/request/', payload: { mobile } });
  const verify = (mobile: string, otp: string) => app.request({ method: 'POST', url: '/api/v1/otp/verify/', payload: { mobile, otp } });
  const usersWithMobile = async (mobile: string) =>
    (await app.context.db.selectFrom('public.user').select('id').where('mobile', '=', mobile).execute()).length;

  it('request then verify creates the user and issues a working token', async () => {
    const mobile = '+919000000001';
    const requested = await request(mobile);
    assert.equal(requested.statusCode, 200);
    assert.deepEqual(Object.keys(requested.json()).sort(), ['created_at', 'expires_at', 'id', 'mobile', 'updated_at']);
    assert.equal(requested.json().mobile, mobile);
    const verified = await verify(mobile, await lastOtp(outbox, mobile));
    assert.equal(verified.statusCode, 200);
    assert.equal(verified.json().token_type, 'Bearer');
    assert.equal(await usersWithMobile(mobile), 1);
    const found = await app.request({ method: 'GET', url: `/api/v1/users/token/?token=${verified.json().access_token}`, headers: bearer(verified.json().access_token) });
    const me = await app.request({ method: 'GET', url: `/api/v1/users/${found.json().id}/`, headers: bearer(verified.json().access_token) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().mobile, mobile);
  });

  it('signs an existing user in without creating another', async () => {
    const mobile = '+919000000010';
    await app.context.db.insertInto('public.user').values({ mobile }).execute();
    await request(mobile);
    assert.equal((await verify(mobile, await lastOtp(outbox, mobile))).statusCode, 200);
    assert.equal(await usersWithMobile(mobile), 1);
  });

  it('sends the code through the SMS driver, and stores only its hash', async () => {
    const mobile = '+919000000011';
    await request(mobile);
    const code = await lastOtp(outbox, mobile);
    const rows = await app.context.db.selectFrom('public.one_time_password').select('otp_hash').where('mobile', '=', mobile).execute();
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.otp_hash, code);
    assert.ok(!rows[0]!.otp_hash.includes(code));
  });

  it('refuses an invalid code with the reference 401, without consuming the right one', async () => {
    const mobile = '+919000000012';
    await request(mobile);
    const code = await lastOtp(outbox, mobile);
    const wrong = await verify(mobile, code === '000000' ? '111111' : '000000');
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(wrong.json(), { detail: 'unauthorized' });
    assert.equal((await verify(mobile, code)).statusCode, 200);
  });

  it('a code works once', async () => {
    const mobile = '+919000000013';
    await request(mobile);
    const code = await lastOtp(outbox, mobile);
    assert.equal((await verify(mobile, code)).statusCode, 200);
    assert.equal((await verify(mobile, code)).statusCode, 401);
  });

  it('a code expires after 300 seconds, and mints no user', async () => {
    const mobile = '+919000000002';
    await request(mobile);
    const code = await lastOtp(outbox, mobile);
    clock.advance(301);
    const late = await verify(mobile, code);
    assert.equal(late.statusCode, 401);
    assert.equal(await usersWithMobile(mobile), 0);
  });

  it('a code of another mobile number does not work', async () => {
    await request('+919000000014');
    const code = await lastOtp(outbox, '+919000000014');
    assert.equal((await verify('+919000000015', code)).statusCode, 401);
  });

  it('a re-request gives a second, independent code and the fresh one verifies', async () => {
    const mobile = '+919000000003';
    await request(mobile);
    await request(mobile);
    const rows = await app.context.db.selectFrom('public.one_time_password').select('id').where('mobile', '=', mobile).execute();
    assert.equal(rows.length, 2);
    assert.equal((await verify(mobile, await lastOtp(outbox, mobile))).statusCode, 200);
  });

  it(`locks guessing after ${OTP_MAX_ATTEMPTS} wrong codes with a clear 429, even for the right code`, async () => {
    const mobile = '+919000000020';
    await request(mobile);
    const code = await lastOtp(outbox, mobile);
    const wrong = code === '999999' ? '999998' : '999999';
    for (let attempt = 0; attempt < OTP_MAX_ATTEMPTS; attempt++) assert.equal((await verify(mobile, wrong)).statusCode, 401);
    const locked = await verify(mobile, code);
    assert.equal(locked.statusCode, 429);
    assert.deepEqual(locked.json(), { detail: 'Too many incorrect OTP attempts. Request a new OTP.' });
    assert.ok(Number(locked.headers['retry-after']) > 0 && Number(locked.headers['retry-after']) <= 300);
    assert.equal(await usersWithMobile(mobile), 0);
    // a new code opens the door again
    await request(mobile);
    assert.equal((await verify(mobile, await lastOtp(outbox, mobile))).statusCode, 200);
  });

  it(`limits a mobile number to ${OTP_MAX_REQUESTS} codes per 15 minutes, whichever way it is written`, async () => {
    const forms = ['+919000000030', '919000000030', '00919000000030', '9000000030', '+91 90000-00030'];
    for (let i = 0; i < OTP_MAX_REQUESTS; i++) {
      const requested = await request(forms[i % forms.length]);
      assert.equal(requested.statusCode, 200);
      assert.equal(requested.json().mobile, '+919000000030');
    }
    const refused = await request('0091 9000000030');
    assert.equal(refused.statusCode, 429);
    assert.match(refused.json().detail, /^Too many OTP requests for this mobile number\. Try again in \d+ seconds\.$/);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    assert.equal((await request('+919000000031')).statusCode, 200, 'another number is not limited');
  });

  it('verifies a code whichever way the number is written, and finds one user', async () => {
    await request('919000000032');
    const code = await lastOtp(outbox, '+919000000032');
    const verified = await verify('0091-9000000032', code);
    assert.equal(verified.statusCode, 200);
    await request('+919000000032');
    assert.equal((await verify('9000000032', await lastOtp(outbox, '+919000000032'))).statusCode, 200);
    assert.equal(await usersWithMobile('+919000000032'), 1);
  });

  it('refuses what is not a mobile number with a 400 that says so', async () => {
    for (const mobile of ['12345', '+91900000000', 'not a number', '+9999999999999', '9'.repeat(40)]) {
      const refused = await request(mobile);
      assert.equal(refused.statusCode, 400, mobile);
      assert.deepEqual(refused.json(), { mobile: ['Enter a valid mobile number, e.g. +919876543210.'] });
    }
  });

  it('answers missing or malformed fields with the reference 400s', async () => {
    const noMobile = await app.request({ method: 'POST', url: '/api/v1/otp/request/' });
    assert.equal(noMobile.statusCode, 400);
    assert.deepEqual(noMobile.json(), { detail: 'mobile not provided' });
    assert.equal((await request('not a number')).statusCode, 400);
    assert.equal((await request('')).statusCode, 400);
    const noOtp = await app.request({ method: 'POST', url: '/api/v1/otp/verify/', payload: { mobile: '+919000000040' } });
    assert.deepEqual([noOtp.statusCode, noOtp.json()], [400, { detail: 'otp not provided' }]);
    const noMobileVerify = await app.request({ method: 'POST', url: '/api/v1/otp/verify/', payload: { otp: '123456' } });
    assert.deepEqual([noMobileVerify.statusCode, noMobileVerify.json()], [400, { detail: 'mobile not provided' }]);
  });

  it('accepts form-encoded bodies, as the reference clients send', async () => {
    const mobile = '+919000000050';
    const form = (fields: Record<string, string>) => ({
      payload: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal((await app.request({ method: 'POST', url: '/api/v1/otp/request/', ...form({ mobile }) })).statusCode, 200);
    const code = await lastOtp(outbox, mobile);
    assert.equal((await app.request({ method: 'POST', url: '/api/v1/otp/verify/', ...form({ mobile, otp: code }) })).statusCode, 200);
  });
});
