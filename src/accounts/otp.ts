import { randomInt } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import type { SecretKey } from '../secret-key.ts';

/** How long a code lives, as in the reference. */
export const OTP_SECONDS = 300;
/** Guesses a code survives; the next guess of any code for that mobile is refused. */
export const OTP_MAX_ATTEMPTS = 5;

export interface RequestedOtp {
  id: number;
  mobile: string;
  code: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** Codes are stored as a keyed hash bound to the mobile number: the table alone reveals no code. */
function hashOtp(key: SecretKey, mobile: string, code: string): string {
  return key.hash('otp', `${mobile}:${code}`);
}

/**
 * Creates a 6-digit code for a mobile number (E.164), valid for
 * {@link OTP_SECONDS}. How often a number may ask is an abuse limit
 * (`abuse-limits.ts`), checked before.
 */
export async function requestOtp(db: Kysely<DB>, key: SecretKey, mobile: string, now: Date): Promise<RequestedOtp> {
  const code = String(randomInt(100000, 1000000));
  const row = await db
    .insertInto('public.one_time_password')
    .values({
      mobile,
      otp_hash: hashOtp(key, mobile, code),
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
 * a wrong or expired code. Every guess counts against every live code of
 * that number; once they are all locked, guessing is refused with a 429.
 *
 * The count is taken before the code is compared, in one UPDATE: row locks
 * make concurrent guesses queue on it and each re-reads `attempts`, so of
 * any burst exactly {@link OTP_MAX_ATTEMPTS} guesses per code are compared
 * and the rest are refused, whatever the number of connections.
 */
export async function verifyOtp(db: Kysely<DB>, key: SecretKey, mobile: string, code: string, now: Date): Promise<boolean> {
  const counted = await db
    .updateTable('public.one_time_password')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('mobile', '=', mobile)
    .where('expires_at', '>=', now)
    .where('attempts', '<', OTP_MAX_ATTEMPTS)
    .returning(['id', 'otp_hash'])
    .execute();
  if (counted.length === 0) {
    const locked = await db
      .selectFrom('public.one_time_password')
      .select(sql<Date | null>`max(expires_at)`.as('until'))
      .where('mobile', '=', mobile)
      .where('expires_at', '>=', now)
      .executeTakeFirst();
    if (locked?.until) throw errors.otpTooManyAttempts(Math.max(1, Math.ceil((new Date(locked.until).getTime() - now.getTime()) / 1000)));
    return false;
  }
  const match = counted.find((row) => row.otp_hash === hashOtp(key, mobile, code));
  if (!match) return false;
  // Deleting decides a race between two right guesses: one wins.
  const spent = await db.deleteFrom('public.one_time_password').where('id', '=', match.id).returning('id').executeTakeFirst();
  return spent !== undefined;
}
