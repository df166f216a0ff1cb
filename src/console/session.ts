import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { countingFailures, type AbuseLimits } from '../accounts/abuse-limits.ts';
import type { Clock } from '../accounts/clock.ts';
import { signIn, userForThrottledPassword } from '../accounts/login.ts';
import { ACCESS_TOKEN_SECONDS, hashToken, revokeToken, userForAccessToken } from '../accounts/tokens.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import type { SecretKey } from '../secret-key.ts';

/** The cookie that holds a console session's access token. */
export const SESSION_COOKIE = 'plio_console';
export const CONSOLE_PATH = '/console';

/**
 * Tokens the console issues belong to no OAuth client; `revokeToken` lets any
 * client id revoke such tokens, so this one names none that exists.
 */
const NO_CLIENT = 0;

export interface Operator {
  id: number;
  email: string | null;
}

/**
 * Console sessions are ordinary access tokens in the token table, issued by
 * the same sign-in the API uses and checked the same way on every request:
 * whatever ends a user's tokens (revocation, deactivation, deletion) ends
 * their console sessions too, and losing the superuser flag ends console
 * access at the next request. The browser holds the token in an HttpOnly,
 * SameSite=Strict cookie scoped to /console.
 */
export class ConsoleSessions {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly key: SecretKey,
    private readonly limits: AbuseLimits,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the password as the API's password grant does, under the same
   * limits (per account, and failed sign-ins per client address); only
   * superusers get a session.
   */
  async signIn(request: FastifyRequest, reply: FastifyReply, email: string, password: string): Promise<Operator> {
    const user = await countingFailures(this.limits.failedLoginsAddress, request.ip, async () => {
      const found = await userForThrottledPassword(this.db, this.limits, email.trim(), password);
      if (!found) throw errors.consoleBadCredentials();
      return found;
    });
    if (!user.is_superuser) throw errors.consoleSuperusersOnly();
    const tokens = await signIn(this.db, this.key, user.id, null, this.clock);
    reply.setCookie(SESSION_COOKIE, tokens.access_token, {
      path: CONSOLE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: 'auto',
      maxAge: ACCESS_TOKEN_SECONDS,
    });
    return { id: user.id, email: user.email };
  }

  /** The signed-in superuser, or `undefined` (no cookie, a token no longer live, or no longer a superuser). */
  async operator(request: FastifyRequest): Promise<Operator | undefined> {
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return undefined;
    const user = await userForAccessToken(this.db, hashToken(this.key, token), this.clock());
    return user?.is_superuser ? { id: user.id, email: user.email } : undefined;
  }

  async signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await revokeToken(this.db, this.key, token, NO_CLIENT, this.clock());
    reply.clearCookie(SESSION_COOKIE, { path: CONSOLE_PATH });
  }
}
