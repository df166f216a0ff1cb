import type { FastifyInstance } from 'fastify';
import { PlioError } from '../../errors.ts';
import { field, type ConsoleDeps } from '../feature.ts';
import { CONSOLE_PATH } from '../session.ts';
import { redirectWith, renderPage } from '../views.ts';

/** Where to go after signing in: a console page, never another site. */
function nextPage(value: unknown): string {
  return typeof value === 'string' && /^\/console\/[^/\\]/.test(value) && !value.startsWith('/console/sign-') ? value : `${CONSOLE_PATH}/organizations`;
}

export async function signInPages(scope: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  scope.get('/sign-in', async (request, reply) => {
    const next = nextPage((request.query as { next?: string }).next);
    if (await deps.sessions.operator(request)) return reply.redirect(next, 303);
    return renderPage(request, reply, 'sign-in', { title: 'Sign in', section: 'sign-in', next, email: '' });
  });

  scope.post('/sign-in', async (request, reply) => {
    const next = nextPage(field(request, 'next'));
    const email = field(request, 'email');
    try {
      await deps.sessions.signIn(request, reply, email, (request.body as { password?: unknown })?.password?.toString() ?? '');
    } catch (error) {
      if (!(error instanceof PlioError)) throw error;
      reply.status(error.status);
      if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
      return renderPage(request, reply, 'sign-in', { title: 'Sign in', section: 'sign-in', next, email, refusal: error.message });
    }
    return redirectWith(reply, next);
  });

  scope.post('/sign-out', async (request, reply) => {
    await deps.sessions.signOut(request, reply);
    return redirectWith(reply, `${CONSOLE_PATH}/sign-in`, { kind: 'ok', text: 'You are signed out.' });
  });
}
