import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { SecretKey } from '../secret-key.ts';
import { errors } from '../errors.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Credential, CredentialCache } from './credential-cache.ts';
import { rememberWorkspaceRole, type RoleName } from './memberships.ts';
import { hashToken, userForAccessToken } from './tokens.ts';

/** The signed-in user of a request. */
export interface CurrentUser {
  readonly id: number;
  readonly email: string | null;
  readonly mobile: string | null;
  readonly isSuperuser: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set from `Authorization: Bearer <token>`; `null` when absent or not valid. */
    user: CurrentUser | null;
  }
}

/** Reads the bearer token of every request (after the tenant is resolved). */
export function installAuthentication(
  app: FastifyInstance,
  db: Kysely<DB>,
  key: SecretKey,
  credentials: CredentialCache,
  clock: Clock = systemClock,
): void {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (!token) return;
    // The request's tenant is resolved by now (an earlier onRequest hook).
    const organizationId = request.tenant && !request.scope.isPersonalWorkspace ? request.tenant.id : null;
    const now = clock();
    const tokenHash = hashToken(key, token);
    const credential = credentials.get(tokenHash, organizationId, now) ?? (await readCredential(db, credentials, tokenHash, organizationId, now));
    if (!credential) return;
    request.user = credential.user;
    if (organizationId !== null) rememberWorkspaceRole(request, credential.role);
  });
}

/** Asks the database who the token belongs to, and remembers the answer. */
async function readCredential(
  db: Kysely<DB>,
  credentials: CredentialCache,
  tokenHash: string,
  organizationId: number | null,
  now: Date,
): Promise<Credential | undefined> {
  const stamp = credentials.stamp();
  const row = await userForAccessToken(db, tokenHash, now, organizationId);
  if (!row) return undefined;
  const credential: Credential = {
    user: Object.freeze({ id: row.id, email: row.email, mobile: row.mobile, isSuperuser: row.is_superuser }),
    role: (row.workspace_role ?? undefined) as RoleName | undefined,
    tokenExpiresAt: row.expires_at,
  };
  credentials.set(tokenHash, organizationId, credential, stamp);
  return credential;
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

/** The signed-in user, or the reference's 401. */
export function requireUser(request: FastifyRequest): CurrentUser {
  if (!request.user) throw errors.notAuthenticated();
  return request.user;
}
