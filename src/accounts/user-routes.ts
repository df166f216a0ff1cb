import type {} from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { uniqueViolation } from '../db/db-errors.ts';
import type { NewRow, RowUpdate } from '../db/schema.ts';
import { errors, PlioError } from '../errors.ts';
import { requireUser, type CurrentUser } from './current-user.ts';
import { credentialsChanged } from './credential-cache.ts';
import { canAccessUser } from './permissions.ts';
import { normalizeMobile } from './phone-numbers.ts';
import { hashToken, userForAccessToken } from './tokens.ts';
import { userJson, usersJson } from './user-json.ts';
import { findUser, liveUsers, type UserRow } from './users.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { bodyOf, isPlainObject, pathId, textField } from './request-input.ts';
import { configWithSettings, refuseOtherSettingMethods } from './settings-routes.ts';
import { userSocket } from './user-socket-routes.ts';

const IdParams = Type.Object({ id: Type.String() });
const tags = ['users'];

/** `/api/v1/users/`: superusers list and create; everyone reads and changes only themselves. */
export async function userRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db } = deps.context;

  /** The user at `:id` if the viewer may touch it: 404 when absent, 403 when someone else. */
  const accessibleUser = async (request: FastifyRequest): Promise<{ viewer: CurrentUser; user: UserRow }> => {
    const viewer = requireUser(request);
    const user = await findUser(db, pathId((request.params as { id: string }).id));
    if (!user) throw errors.notFound();
    if (!canAccessUser(viewer, user.id)) throw errors.permissionDenied();
    return { viewer, user };
  };

  const save = async (user: UserRow, changes: RowUpdate<'public.user'>): Promise<UserRow> => {
    const saved = await db
      .updateTable('public.user')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(userWriteError);
    await credentialsChanged(db, [user.id]);
    await deps.events.publish(user.id);
    return saved;
  };

  app.get(
    '/api/v1/users/token/',
    {
      schema: {
        tags,
        summary: 'The user an access token belongs to (the caller must be signed in)',
        querystring: Type.Object({ token: Type.Optional(Type.String()) }),
      },
    },
    async (request) => {
      // As the reference: authentication first, so a reload with an expired
      // token (sent as both bearer and `?token=`) is a 401 the client answers
      // by refreshing, not a 404 it shows as "Page Not Found".
      requireUser(request);
      const { token } = request.query as { token?: string };
      if (token === undefined) throw errors.badRequest('token not provided');
      const userId = (await userForAccessToken(db, hashToken(deps.context.secretKey, token), deps.clock()))?.id;
      const user = userId === undefined ? undefined : await findUser(db, userId);
      if (!user) throw errors.userNotFound();
      return userJson(db, user, { id: user.id, email: user.email, mobile: user.mobile, isSuperuser: user.is_superuser });
    },
  );

  app.get(
    '/api/v1/users/',
    {
      schema: {
        tags,
        summary: 'List users (superusers only)',
        querystring: Type.Object({
          ids: Type.Optional(Type.String({ description: 'comma-separated user ids' })),
          organization: Type.Optional(Type.String({ description: 'members of this organization id' })),
          email: Type.Optional(Type.String()),
        }),
      },
    },
    async (request) => {
      const viewer = requireUser(request);
      if (!viewer.isSuperuser) throw errors.permissionDenied();
      const { ids, organization, email } = request.query as { ids?: string; organization?: string; email?: string };
      let query = liveUsers(db).orderBy('id');
      const idList = (ids ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => /^\d{1,15}$/.test(part))
        .map(Number);
      if (idList.length > 0) query = query.where('id', 'in', idList);
      if (organization) {
        if (!/^\d{1,15}$/.test(organization)) return [];
        const organizationId = Number(organization);
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('public.organization_user as m')
              .select('m.id')
              .whereRef('m.user_id', '=', 'public.user.id')
              .where('m.organization_id', '=', organizationId),
          ),
        );
      }
      if (email) query = query.where('email', '=', email);
      return usersJson(db, await query.execute(), viewer);
    },
  );

  app.post('/api/v1/users/', { schema: { tags, summary: 'Create a user (superusers only)' } }, async (request, reply) => {
    const viewer = requireUser(request);
    if (!viewer.isSuperuser) throw errors.permissionDenied();
    const fields = writableFields(bodyOf(request), viewer, deps.context.config.phoneRegion);
    const created = await db
      .insertInto('public.user')
      .values(fields as NewRow<'public.user'>)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(userWriteError);
    return reply.status(201).send(await userJson(db, created, viewer));
  });

  const socket = userSocket(deps);
  app.route({
    method: 'GET',
    url: '/api/v1/users/:id/',
    schema: { tags, summary: 'A user; as a WebSocket, that user whenever it changes (own token required)', params: IdParams },
    preValidation: socket.authorize,
    handler: async (request) => {
      const { viewer, user } = await accessibleUser(request);
      return userJson(db, user, viewer);
    },
    wsHandler: socket.handle,
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/v1/users/:id/',
      schema: { tags, summary: 'Change a user', params: IdParams },
      handler: async (request) => {
        const { viewer, user } = await accessibleUser(request);
        return userJson(db, await save(user, writableFields(bodyOf(request), viewer, deps.context.config.phoneRegion)), viewer);
      },
    });
  }

  app.delete('/api/v1/users/:id/', { schema: { tags, summary: 'Soft-delete a user', params: IdParams } }, async (request, reply) => {
    const { user } = await accessibleUser(request);
    await db.updateTable('public.user').set({ deleted_at: new Date(), updated_at: new Date() }).where('id', '=', user.id).execute();
    await credentialsChanged(db, [user.id]);
    return reply.status(204).send();
  });

  app.get('/api/v1/users/:id/config/', { schema: { tags, summary: "A user's config", params: IdParams } }, async (request) => {
    const { user } = await accessibleUser(request);
    return isPlainObject(user.config) ? user.config : {};
  });

  app.patch('/api/v1/users/:id/config/', { schema: { tags, summary: "Replace a user's config", params: IdParams } }, async (request) => {
    const { user } = await accessibleUser(request);
    const body = bodyOf(request);
    if (!('config' in body)) throw errors.badRequest('config not provided');
    if (Object.keys(body).length > 1) throw errors.badRequest('extra keys apart from config are not allowed');
    if (!isPlainObject(body.config)) throw errors.validation({ config: ['Config should be a dictionary'] });
    await save(user, { config: JSON.stringify(body.config) });
    return { status: 'config set' };
  });

  app.patch('/api/v1/users/:id/setting/', { schema: { tags, summary: "Replace a user's settings", params: IdParams } }, async (request) => {
    const { user } = await accessibleUser(request);
        return (await save(user, { config: JSON.stringify(configWithSettings(user.config, request)) })).config;
  });
  refuseOtherSettingMethods(app, '/api/v1/users/:id/setting/');
}

const NAME_MAX = 150;

function userWriteError(error: unknown): never {
  if (uniqueViolation(error) === 'user_email_key') throw errors.validation({ email: ['user with this email already exists.'] });
  throw error;
}

/** The fields a user may change; `status` only by superusers, `is_superuser` never through the API. */
function writableFields(body: Record<string, unknown>, viewer: CurrentUser, phoneRegion: string): RowUpdate<'public.user'> {
  const changes: RowUpdate<'public.user'> = {};
  const problems: Record<string, string[]> = {};
  const text = (name: 'first_name' | 'last_name', max: number) => {
    const value = textField(body, name);
    if (value === undefined) return;
    if (value.length > max) problems[name] = [`Ensure this field has no more than ${max} characters.`];
    else changes[name] = value;
  };
  const nullableText = (name: 'email' | 'mobile' | 'avatar_url', max: number, check?: (value: string) => boolean) => {
    if (!(name in body)) return;
    const value = body[name] === null ? null : (textField(body, name) ?? null);
    if (value !== null && (value.length > max || (check && !check(value)))) problems[name] = [`Enter a valid ${name.replace('_', ' ')}.`];
    else changes[name] = value === '' ? null : value;
  };
  text('first_name', NAME_MAX);
  text('last_name', NAME_MAX);
  nullableText('email', 255, (value) => value === '' || /^[^@\s]+@[^@\s]+$/.test(value));
  nullableText('mobile', 32);
  if (changes.mobile) {
    try {
      changes.mobile = normalizeMobile(changes.mobile, phoneRegion);
    } catch (error) {
      if (!(error instanceof PlioError) || !error.fields) throw error;
      Object.assign(problems, error.fields);
    }
  }
  nullableText('avatar_url', 255);
  if ('config' in body) {
    if (isPlainObject(body.config)) changes.config = JSON.stringify(body.config);
    else problems.config = ['Config should be a dictionary'];
  }
  if ('status' in body && viewer.isSuperuser) {
    if (body.status === 'waitlist' || body.status === 'approved') changes.status = body.status;
    else problems.status = [`"${String(body.status)}" is not a valid choice.`];
  }
  if (Object.keys(problems).length > 0) throw errors.validation(problems);
  return changes;
}
