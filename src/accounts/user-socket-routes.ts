import type {} from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { errors } from '../errors.ts';
import { hashToken, userForAccessToken } from './tokens.ts';
import { userJson } from './user-json.ts';
import { findUser } from './users.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { pathId } from './request-input.ts';

/**
 * The live user socket at `/api/v1/users/<id>`: pushes `{"user": …}` each
 * time that user changes (memberships, status), on whichever server
 * instance the change happened (see `user-events.ts`).
 *
 * Unlike the reference it requires that user's own access token, in the
 * `token` query parameter (browsers cannot set headers on a WebSocket) or an
 * `Authorization: Bearer` header; anything else is refused before the
 * upgrade, with 401 (no valid token) or 403 (another user's token).
 */
export function userSocket(deps: AccountsDeps) {
  const { db } = deps.context;

  const authorize = async (request: FastifyRequest): Promise<void> => {
    if (!request.ws) return;
    const id = pathId((request.params as { id: string }).id);
    const token = (request.query as { token?: unknown }).token;
    const userId = typeof token === 'string' ? (await userForAccessToken(db, hashToken(deps.context.secretKey, token), deps.clock()))?.id : request.user?.id;
    if (userId === undefined) throw errors.notAuthenticated();
    if (userId !== id) throw errors.permissionDenied();
  };

  const handle = (socket: WebSocket, request: FastifyRequest): void => {
    const id = pathId((request.params as { id: string }).id);
    const push = async (userId: number) => {
      if (userId !== id) return;
      const user = await findUser(db, id);
      if (!user || socket.readyState !== socket.OPEN) return;
      const viewer = { id: user.id, email: user.email, mobile: user.mobile, isSuperuser: user.is_superuser };
      socket.send(JSON.stringify({ user: await userJson(db, user, viewer) }));
    };
    const unsubscribe = deps.events.subscribe((userId) => {
      push(userId).catch((error: unknown) => request.log.error({ err: error }, 'pushing the user over the socket failed'));
    });
    socket.on('close', unsubscribe);
    // The client sends nothing the server needs; messages are ignored.
  };

  return { authorize, handle };
}
