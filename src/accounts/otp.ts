import { createHash, randomInt } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';

/** How long a code lives, as in the reference. */
export const OTP_SECONDS = 300;
/** Wrong guesses a code survives; the next guess of any code for that mobile is refused. */
export const OTP_MAX_ATTEMPTS = 5;
/** Codes one mobile number may request per window. */
export const OTP_MAX_REQUESTS = 5;
export const OTP_REQUEST_WINDOW_SECONDS = 15 * 60;

export interface RequestedOtp {
  id: number;
  mobile: string;
  code: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** Codes are stored as a hash bound to the mobile number, never in clear. */
function hashOtp(mobile: string, code: string): string {
  return createHash('sha256').update(`${mobile}:${code}`).digest('hex');
}

/**
 * Creates a 6-digit code for a mobile number, valid for {@link OTP_SECONDS}.
 * A number that asked too often in the window is refused with a 429 that
 * says when to try again.
 */
export async function requestOtp(db: Kysely<DB>, mobile: string, now: Date): Promise<RequestedOtp> {
  const windowStart = new Date(now.getTime() - OTP_REQUEST_WINDOW_SECONDS * 1000);
  const recent = await db
    .selectFrom('public.one_time_password')
    .select([sql<number>`count(*)::int`.as('count'), sql<Date | null>`min(created_at)`.as('oldest')])
    .where('mobile', '=', mobile)
    .where('created_at', '>', windowStart)
    .executeTakeFirstOrThrow();
  if (recent.count >= OTP_MAX_REQUESTS && recent.oldest) {
    const retryAt = new Date(recent.oldest).getTime() + OTP_REQUEST_WINDOW_SECONDS * 1000;
    throw errors.otpTooManyRequests(Math.max(1, Math.ceil((retryAt - now.getTime()) / 1000)));
  }
  const code = String(randomInt(100000, 1000000));
  const row = await db
    .insertInto('public.one_time_password')
    .values({
      mobile,
      otp_hash: hashOtp(mobile, code),
      expires_at: new Date(now.getTime() + OTP_SECONDS * 1000),
      created_at: now,
      updated_at: now,
    })
    .returning(['id', 'mobile', 'expires_at', 'created_at', 'updated_at'])
    .executeTakeFirstOrThrow();
  return { ...row, code };
}

/**
 * Spends the code if it is right, live and not locked: true once, false for
 * a wrong or expired code. A wrong guess counts against every live code of
 * that number; once they are all locked, guessing is refused with a 429.
 */
export async function verifyOtp(db: Kysely<DB>, mobile: string, code: string, now: Date): Promise<boolean> {
  const live = () =>
    db
      .selectFrom('public.one_time_password')
      .select(['id', 'otp_hash', 'attempts'])
      .where('mobile', '=', mobile)
      .where('expires_at', '>=', now);
  const codes = await live().execute();
  const open = codes.filter((row) => row.attempts < OTP_MAX_ATTEMPTS);
  if (codes.length > 0 && open.length === 0) throw errors.otpTooManyAttempts();
  const match = open.find((row) => row.otp_hash === hashOtp(mobile, code));
  if (match) {
    // Deleting decides a race between two uses of the same code: one wins.
    const spent = await db
      .deleteFrom('public.one_time_password')
      .where('id', '=', match.id)
      .where('attempts', '<', OTP_MAX_ATTEMPTS)
      .returning('id')
      .executeTakeFirst();
    return spent !== undefined;
  }
  if (open.length > 0) {
    await db
      .updateTable('public.one_time_password')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', 'in', open.map((row) => row.id))
      .execute();
  }
  return false;
}
