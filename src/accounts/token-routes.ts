import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.ts';
import { createOAuthServer } from './oauth-server.ts';
import { revokeToken } from './tokens.ts';
import { userJson } from './user-json.ts';
import { findUser } from './users.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { bodyOf, clientCredentials, documentedFields, textField } from './request-input.ts';

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
 * The OAuth 2.0 token endpoint (`oauth-server.ts`) and its neighbours under
 * `/auth/`: Google token conversion and revocation.
 */
export async function tokenRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db, secretKey } = deps.context;
  const oauth = createOAuthServer(deps);

  app.post(
    '/auth/token/',
    { schema: { tags: ['auth'], summary: 'Token endpoint: password, refresh_token or convert_token grant', body: TokenRequest } },
    async (request) => (await oauth.token(request, bodyOf(request))).pair,
  );

  app.post(
    '/auth/convert-token/',
    { schema: { tags: ['auth'], summary: 'Sign in with a Google token (drf-social-oauth2 convert-token)', body: TokenRequest } },
    async (request) => {
      const body = bodyOf(request);
      if (body.grant_type !== undefined && body.grant_type !== 'convert_token') throw errors.oauthUnsupportedGrantType();
      const granted = await oauth.token(request, { ...body, grant_type: 'convert_token' });
      const user = (await findUser(db, granted.userId))!;
      const viewer = { id: user.id, email: user.email, mobile: user.mobile, isSuperuser: user.is_superuser };
      return { ...granted.pair, user: await userJson(db, user, viewer) };
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
      const applicationId = await oauth.authenticateClient(request, client.id, client.secret);
      const token = textField(body, 'token');
      if (!token) throw errors.oauthInvalidRequest('Request is missing token.');
      await revokeToken(db, secretKey, token, applicationId, deps.clock());
      return reply.status(200).send();
    },
  );
}
