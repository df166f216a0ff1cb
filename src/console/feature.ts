import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../accounts/clock.ts';
import { accountServicesOf } from '../accounts/account-services.ts';
import type { UserEvents } from '../accounts/user-events.ts';
import type { AppContext } from '../app-context.ts';
import { errors, PlioError } from '../errors.ts';
import type { Feature } from '../feature.ts';
import { readAssets } from './files.ts';
import { MigrationRuns } from './migration-runs.ts';
import { healthPage } from './pages/health-page.ts';
import { migrationPages } from './pages/migration-pages.ts';
import { organizationPages } from './pages/organization-pages.ts';
import { signInPages } from './pages/sign-in-pages.ts';
import { userPages } from './pages/user-pages.ts';
import { CONSOLE_PATH, ConsoleSessions, SESSION_COOKIE } from './session.ts';
import { redirectWith, renderPage } from './views.ts';

/** What the console's pages share. */
export interface ConsoleDeps {
  readonly context: AppContext;
  readonly sessions: ConsoleSessions;
  readonly runs: MigrationRuns;
  readonly events: UserEvents;
}

/** Pages a visitor reaches before signing in. */
const PUBLIC_PAGES = /^\/console\/(sign-in|assets\/)/;

/**
 * The operator console at `/console/`: server-rendered pages (Eta), htmx for
 * the parts that update in place, forms that work without JavaScript. Every
 * change goes through the same functions the API and the command line use.
 */
export function createConsole(options: { clock?: Clock } = {}): Feature {
  return {
    name: 'console',
    async routes(app, context) {
      await app.register(
        async (scope) => {
          const { events, limits } = accountServicesOf(context);
          const deps: ConsoleDeps = {
            context,
            sessions: new ConsoleSessions(context.db, context.secretKey, limits, options.clock ?? systemClock),
            runs: new MigrationRuns(context.tenancy.migrator, context.log),
            events,
          };
          await scope.register(cookie);
          await scope.register(formbody);
          await scope.register(csrf, { cookieOpts: { path: CONSOLE_PATH, httpOnly: true, sameSite: 'strict', secure: 'auto' } });
          // The console is pages, not API: kept out of the OpenAPI document.
          scope.addHook('onRoute', (route) => {
            route.schema = { ...route.schema, hide: true };
          });
          installGuards(scope, deps);
          serveAssets(scope);
          scope.get('/', async (_request, reply) => reply.redirect(`${CONSOLE_PATH}/organizations`, 303));
          for (const pages of [signInPages, organizationPages, userPages, migrationPages, healthPage]) await pages(scope, deps);
        },
        { prefix: CONSOLE_PATH },
      );
    },
  };
}

export const consoleFeature: Feature = createConsole();

/**
 * Every page past sign-in needs a signed-in superuser; every form needs its
 * CSRF token (checked once the body is parsed). Failures are answered as
 * pages in words, never as JSON.
 */
function installGuards(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_PAGES.test(request.url)) return;
    request.operator = await deps.sessions.operator(request);
    if (!request.operator) {
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      const ended = request.cookies[SESSION_COOKIE] !== undefined;
      if (ended) reply.clearCookie(SESSION_COOKIE, { path: CONSOLE_PATH });
      return redirectWith(reply, `${CONSOLE_PATH}/sign-in${next}`, ended ? { kind: 'error', text: 'Your session has ended; sign in again.' } : undefined);
    }
  });
  scope.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    await new Promise<void>((resolve, reject) => scope.csrfProtection(request, reply, (error?: Error) => (error ? reject(error) : resolve())));
  });
  scope.setErrorHandler(async (error, request, reply) => pageForError(error, request, reply));
  scope.setNotFoundHandler(async (request, reply) => {
    reply.status(404);
    return renderPage(request, reply, 'error', { title: 'Not found', section: 'organizations', message: 'There is no console page at this address.' });
  });
}

async function pageForError(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('FST_CSRF')) {
    reply.status(403);
    return renderPage(request, reply, 'error', {
      title: 'Form expired',
      section: 'organizations',
      message: 'This form was not sent from a current console page (its security token is missing or stale). Reload the page and try again.',
    });
  }
  if (error instanceof PlioError) {
    reply.status(error.status);
    return renderPage(request, reply, 'error', { title: 'Not possible', section: 'organizations', message: error.message });
  }
  request.log.error({ err: error }, 'console page failed');
  reply.status(500);
  return renderPage(request, reply, 'error', {
    title: 'Something went wrong',
    section: 'organizations',
    message: 'The server could not finish this page; the details are in the server log. Nothing was half-done: every change runs in one transaction.',
  });
}

function serveAssets(scope: FastifyInstance): void {
  const assets = readAssets();
  scope.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) return reply.callNotFound();
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body);
  });
}

/** What a form's change did, in words, and where to go next (the form's page when not said). */
export type Outcome = string | { text: string; to: string };

/**
 * Runs a form's change and sends the browser on with what happened in
 * words; when the change was refused, back to `back` with the catalog's
 * message.
 */
export async function act(reply: FastifyReply, back: string, work: () => Promise<Outcome>): Promise<FastifyReply> {
  try {
    const outcome = await work();
    return typeof outcome === 'string'
      ? redirectWith(reply, back, { kind: 'ok', text: outcome })
      : redirectWith(reply, outcome.to, { kind: 'ok', text: outcome.text });
  } catch (error) {
    if (error instanceof PlioError) return redirectWith(reply, back, { kind: 'error', text: error.message });
    throw error;
  }
}

/** A form field as trimmed text ('' when absent). */
export function field(request: FastifyRequest, name: string): string {
  const value = (request.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.trim() : '';
}

/** A positive integer from the path, or the not-found page. */
export function pathNumber(value: string | undefined): number {
  if (!value || !/^\d{1,15}$/.test(value)) throw errors.notFoundWith('There is no such record.');
  return Number(value);
}
