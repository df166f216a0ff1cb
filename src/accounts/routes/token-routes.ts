import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../../errors.ts';
import { verifyGoogleToken } from '../google.ts';
import { signIn } from '../login.ts';
import { authenticateClient } from '../oauth-clients.ts';
import { refreshTokens, revokeToken } from '../tokens.ts';
import { userJson } from '../user-json.ts';
import { userForEmail, userForPassword } from '../users.ts';
import type { AccountsDeps } from './deps.ts';
import { bodyOf, clientCredentials, documentedFields, textField } from './input.ts';

const TokenRequest = documentedFields({
  grant_type: '`password`, `refresh_token` or `convert_token`',
  client_id: 'OAuth client id (or HTTP Basic authentication)',
  client_secret: 'OAuth client secret',
  username: 'email (password grant)',
  password: 'password (password grant)',
  refresh_token: 'refresh token (refresh_token grant)',
  backend: '`google-oauth2` (convert_token grant)',
  token: 'Google access token (convert_token grant)',
});

/**
 * The OAuth 2.0 token endpoint and its neighbours under `/auth/`: password
 * and refresh grants, Google token conversion, revocation. Every grant ends
 * in the same token store (`tokens.ts`).
 */
export async function tokenRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db } = deps.context;

  const grant = async (request: FastifyRequest) => {
    const body = bodyOf(request);
    const grantType = textField(body, 'grant_type');
    if (grantType !== 'password' && grantType !== 'refresh_token' && grantType !== 'convert_token') {
      throw errors.oauthUnsupportedGrantType();
    }
    const client = clientCredentials(request, body);
    const applicationId = await authenticateClient(db, client.id, client.secret);
    switch (grantType) {
      case 'password': {
        const username = textField(body, 'username');
        const password = textField(body, 'password');
        if (!username || password === undefined) throw errors.oauthInvalidRequest('Request is missing username or password.');
        const user = await userForPassword(db, username, password);
        if (!user) throw errors.oauthInvalidGrant();
        return signIn(db, user.id, applicationId, deps.clock);
      }
      case 'refresh_token': {
        const refreshToken = textField(body, 'refresh_token');
        if (!refreshToken) throw errors.oauthInvalidRequest('Request is missing refresh_token.');
        return refreshTokens(db, refreshToken, applicationId, deps.clock());
      }
      case 'convert_token':
        return convertGoogleToken(body, applicationId);
    }
  };

  /** drf-social-oauth2's `convert_token`: a Google token for our token pair, plus the user. */
  const convertGoogleToken = async (body: Record<string, unknown>, applicationId: number) => {
    const backend = textField(body, 'backend');
    const token = textField(body, 'token');
    if (backend !== 'google-oauth2') throw errors.oauthInvalidRequest('Invalid backend: only google-oauth2 is supported.');
    if (!token) throw errors.oauthInvalidRequest('Request is missing token.');
    const profile = await verifyGoogleToken(deps.context.config.google, token);
    const user = await userForEmail(db, profile.email, {
      firstName: profile.firstName.slice(0, 150),
      lastName: profile.lastName.slice(0, 150),
      avatarUrl: profile.picture && profile.picture.length <= 255 ? profile.picture : null,
    });
    const tokens = await signIn(db, user.id, applicationId, deps.clock);
    const viewer = { id: user.id, email: user.email, mobile: user.mobile, isSuperuser: user.is_superuser };
    return { ...tokens, user: await userJson(db, user, viewer) };
  };

  app.post('/auth/token/', { schema: { tags: ['auth'], summary: 'Token endpoint: password, refresh_token or convert_token grant', body: TokenRequest } }, grant);

  app.post(
    '/auth/convert-token/',
    { schema: { tags: ['auth'], summary: 'Sign in with a Google token (grant_type convert_token)', body: TokenRequest } },
    async (request) => {
      const body = bodyOf(request);
      const grantType = textField(body, 'grant_type');
      if (grantType !== undefined && grantType !== 'convert_token') throw errors.oauthUnsupportedGrantType();
      const client = clientCredentials(request, body);
      return convertGoogleToken(body, await authenticateClient(db, client.id, client.secret));
    },
  );

  app.post(
    '/auth/revoke-token/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke an access or refresh token (RFC 7009)',
        body: documentedFields({ token: 'the access or refresh token', client_id: 'OAuth client id', client_secret: 'OAuth client secret' }),
      },
    },
    async (request, reply) => {
      const body = bodyOf(request);
      const client = clientCredentials(request, body);
      const applicationId = await authenticateClient(db, client.id, client.secret);
      const token = textField(body, 'token');
      if (!token) throw errors.oauthInvalidRequest('Request is missing token.');
      await revokeToken(db, token, applicationId, deps.clock());
      return reply.status(200).send();
    },
  );
}
