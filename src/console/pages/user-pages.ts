import type { FastifyInstance, FastifyRequest } from 'fastify';
import { membershipsOfUser, searchUsers, setSuperuser, setUserStatus } from '../../accounts/user-admin.ts';
import { findUser } from '../../accounts/users.ts';
import { errors } from '../../errors.ts';
import { act, field, pathNumber, type ConsoleDeps } from '../feature.ts';
import { CONSOLE_PATH } from '../session.ts';
import { renderPage } from '../views.ts';

const USERS = `${CONSOLE_PATH}/users`;

/** Users: search by email, phone or SSO id; one user's page with waitlist status, superuser flag and memberships. */
export async function userPages(scope: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const { db } = deps.context;
  const userId = (request: FastifyRequest) => pathNumber((request.params as { id: string }).id);
  const pageOf = (id: number) => `${USERS}/${id}`;

  scope.get('/users', async (request, reply) => {
    const search = (request.query as { q?: string }).q;
    const text = typeof search === 'string' ? search : '';
    const users = await searchUsers(db, text);
    return renderPage(request, reply, 'users', { title: 'Users', section: 'users', users, search: text });
  });

  scope.get('/users/:id', async (request, reply) => {
    const user = await findUser(db, userId(request));
    if (!user) throw errors.userNotFound();
    const memberships = await membershipsOfUser(db, user.id);
    return renderPage(request, reply, 'user', { title: user.email ?? user.mobile ?? `User ${user.id}`, section: 'users', user, memberships });
  });

  scope.post('/users/:id/status', async (request, reply) => {
    const id = userId(request);
    return act(reply, pageOf(id), async () => {
      const status = field(request, 'status');
      if (status !== 'approved' && status !== 'waitlist') throw errors.validation({ status: ['Choose approved or waitlist.'] });
      const user = await setUserStatus(db, deps.events, id, status);
      return status === 'approved' ? `${user.email ?? user.mobile ?? 'The user'} is approved.` : `${user.email ?? user.mobile ?? 'The user'} is back on the waitlist.`;
    });
  });

  scope.post('/users/:id/superuser', async (request, reply) => {
    const id = userId(request);
    return act(reply, pageOf(id), async () => {
      const grant = field(request, 'is_superuser') === 'true';
      if (!grant && id === request.operator?.id) throw errors.badRequest('You cannot take away your own superuser flag: ask another superuser.');
      const user = await setSuperuser(db, deps.events, id, grant);
      return grant ? `${user.email ?? user.mobile ?? 'The user'} is now a superuser.` : `${user.email ?? user.mobile ?? 'The user'} is no longer a superuser.`;
    });
  });
}
