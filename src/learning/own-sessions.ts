/** A learner reaches sessions, and through them answers and events, only when the session is theirs. */
import type { FastifyRequest } from 'fastify';
import { requireUser } from '../accounts/current-user.ts';
import { errors } from '../errors.ts';

/** The signed-in learner's live sessions (401 without a login). */
export function ownSessions(request: FastifyRequest) {
  const user = requireUser(request);
  return request.scope.query.selectFrom('session').selectAll().where('user_id', '=', user.id).where('deleted_at', 'is', null);
}

/** The learner's live session a request body names, or the reference's 400 for a bad reference. */
export async function referencedOwnSession(request: FastifyRequest, sessionId: number) {
  const session = await ownSessions(request).where('id', '=', sessionId).executeTakeFirst();
  if (!session) throw errors.invalidReference('session', sessionId);
  return session;
}
