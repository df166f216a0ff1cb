import type { FastifyRequest } from 'fastify';
import OAuth2Server, {
  AbstractGrantType,
  InvalidRequestError,
  OAuthError as LibraryOAuthError,
  Request,
  Response,
  type Client,
  type PasswordModel,
  type RefreshTokenModel,
  type Token,
} from '@node-oauth/oauth2-server';
import { errors, OAuthError } from '../errors.ts';
import { countingFailures } from './abuse-limits.ts';
import { verifyGoogleToken } from './google.ts';
import { userForThrottledPassword } from './login.ts';
import { findOAuthClient } from './oauth-clients.ts';
import { ACCESS_TOKEN_SECONDS, findRefreshToken, REFRESH_TOKEN_SECONDS, spendRefreshToken, storeTokenPair, TOKEN_SCOPE, type TokenPair } from './tokens.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { userForEmail } from './users.ts';

const SCOPE = TOKEN_SCOPE.split(' ');
const GRANTS = ['password', 'refresh_token', 'convert_token'];

/** What a successful grant gives: the token pair and whose it is. */
export interface Granted {
  pair: TokenPair;
  userId: number;
}

/** The grants' half of the library's model (bearer-token checking, `getAccessToken`, is ours: current-user.ts). */
interface Model extends Omit<PasswordModel, 'getAccessToken'>, Omit<RefreshTokenModel, 'getAccessToken'> {
  /** The user a Google token belongs to (found, adopted by email, or created). */
  googleUser(backend: unknown, token: unknown): Promise<{ id: number }>;
}

/**
 * drf-social-oauth2's `convert_token` grant as an OAuth extension grant:
 * a Google token for our token pair.
 */
class ConvertTokenGrant extends AbstractGrantType {
  async handle(request: Request, client: Client): Promise<Token> {
    const model = (this as unknown as { model: Model }).model;
    const user = await model.googleUser(request.body.backend, request.body.token);
    const scope = SCOPE;
    return model.saveToken(
      {
        accessToken: await this.generateAccessToken(client, user, scope),
        refreshToken: await this.generateRefreshToken(client, user, scope),
        scope,
        client,
        user,
      },
      client,
      user,
    ) as Promise<Token>;
  }
}

/**
 * The OAuth 2.0 token endpoint, run by `@node-oauth/oauth2-server` over our
 * token store: it authenticates the client, validates the grant and rotates
 * refresh tokens; tokens are stored hashed with our lifetimes and our clock.
 *
 * Abuse limits (docs/security.md): every failed request costs the client
 * address one of its failed logins; a password is checked only while its
 * account has wrong guesses left (a right one clears them); an account's
 * refresh grants are counted.
 */
export function createOAuthServer(deps: AccountsDeps) {
  const { db, secretKey, config } = deps.context;
  const { clock, limits } = deps;
  const model: Model = {
    async getClient(clientId, clientSecret) {
      const client = await findOAuthClient(db, clientId, clientSecret);
      return client && { id: String(client.id), applicationId: client.id, grants: GRANTS };
    },
    async getUser(username, password) {
      const user = await userForThrottledPassword(db, limits, username, password);
      return user && { id: user.id };
    },
    async validateScope() {
      return SCOPE;
    },
    async saveToken(token, client, user) {
      const pair = await storeTokenPair(
        db,
        secretKey,
        { userId: user.id as number, applicationId: client.applicationId as number, accessToken: token.accessToken, refreshToken: token.refreshToken! },
        clock(),
      );
      await db.updateTable('public.user').set({ last_login: clock() }).where('id', '=', user.id as number).execute();
      return { ...token, scope: SCOPE, client, user, pair };
    },
    async getRefreshToken(refreshToken) {
      const row = await findRefreshToken(db, secretKey, refreshToken, clock());
      if (row) await limits.refreshAccount.take(String(row.user_id));
      return (
        row && {
          id: row.id,
          refreshToken,
          scope: SCOPE,
          client: { id: String(row.application_id), grants: GRANTS },
          user: { id: row.user_id },
        }
      );
    },
    async revokeToken(token) {
      return spendRefreshToken(db, token.id as number, clock());
    },
    async googleUser(backend, token) {
      if (backend !== 'google-oauth2') throw new InvalidRequestError('Invalid backend: only google-oauth2 is supported.');
      if (typeof token !== 'string' || token === '') throw new InvalidRequestError('Request is missing token.');
      const profile = await verifyGoogleToken(config.google, token).catch(libraryError);
      const user = await userForEmail(db, profile.email, {
        firstName: profile.firstName.slice(0, 150),
        lastName: profile.lastName.slice(0, 150),
        avatarUrl: profile.picture && profile.picture.length <= 255 ? profile.picture : null,
      });
      return { id: user.id };
    },
  };

  const server = new OAuth2Server({
    model: model as unknown as PasswordModel & RefreshTokenModel,
    accessTokenLifetime: ACCESS_TOKEN_SECONDS,
    refreshTokenLifetime: REFRESH_TOKEN_SECONDS,
    alwaysIssueNewRefreshToken: true,
    extendedGrantTypes: { convert_token: ConvertTokenGrant },
  });

  return {
    /** Runs a token request (JSON or form body) through the grant it names. */
    async token(request: FastifyRequest, body: Record<string, unknown>): Promise<Granted> {
      // The web client posts JSON; the library insists on a form, which the
      // parsed body is as good as (its content-type check also wants a length).
      const oauthRequest = new Request({
        method: 'POST',
        query: {},
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': '0',
          ...(typeof request.headers.authorization === 'string' ? { authorization: request.headers.authorization } : {}),
        },
        body,
      });
      return countingFailures(limits.failedLoginsAddress, request.ip, async () => {
        try {
          const token = await server.token(oauthRequest, new Response());
          return { pair: token.pair as TokenPair, userId: token.user.id as number };
        } catch (error) {
          throw ourError(error);
        }
      });
    },
    /** The application id of a client whose secret matches, or the OAuth `invalid_client` refusal. */
    async authenticateClient(request: FastifyRequest, clientId: unknown, secret: unknown): Promise<number> {
      return countingFailures(limits.failedLoginsAddress, request.ip, async () => {
        const client = typeof clientId === 'string' && typeof secret === 'string' ? await findOAuthClient(db, clientId, secret) : undefined;
        if (!client) throw errors.oauthInvalidClient();
        return client.id;
      });
    },
  };
}

export type OAuthServer = ReturnType<typeof createOAuthServer>;

/** The library's refusals in our catalog's shape; `invalid_client` is a 401, as the reference answers it. */
function ourError(error: unknown): unknown {
  if (!(error instanceof LibraryOAuthError)) return error;
  if (error.name === 'server_error') return (error as { inner?: unknown }).inner ?? error;
  return new OAuthError(error.name === 'invalid_client' ? 401 : error.code, error.name, error.message);
}

/** Our refusals thrown inside a grant, in the library's shape so it passes them through. */
function libraryError(error: unknown): never {
  if (error instanceof OAuthError) throw new LibraryOAuthError(error.message, { code: error.status, name: error.error });
  throw error;
}
