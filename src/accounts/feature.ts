import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import type { AppContext } from '../app-context.ts';
import type { Feature } from '../feature.ts';
import { createAbuseLimits } from './abuse-limits.ts';
import { rememberAccountServices } from './account-services.ts';
import { systemClock, type Clock } from './clock.ts';
import { CredentialCache, CREDENTIALS_CHANNEL } from './credential-cache.ts';
import { installAuthentication } from './current-user.ts';
import { ensureOAuthClient } from './oauth-clients.ts';
import { seedRoles } from './roles.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { loginRoutes } from './login-routes.ts';
import { organizationRoutes } from './organization-routes.ts';
import { organizationUserRoutes } from './organization-user-routes.ts';
import { roleRoutes } from './role-routes.ts';
import { tokenRoutes } from './token-routes.ts';
import { userRoutes } from './user-routes.ts';
import { createSmsSender } from './sms.ts';
import { createUserEvents } from './user-events.ts';
import { createSuperuserIfUnclaimed } from './users.ts';

export interface AccountsOptions {
  /** Where tokens and one-time passwords read the time (tests move it). */
  clock?: Clock;
}

/**
 * Users, roles, memberships, the three logins (password/refresh, OTP, SSO,
 * Google) and tokens, organizations and their members.
 */
export function createAccounts(options: AccountsOptions = {}): Feature {
  const clock = options.clock ?? systemClock;
  return {
    name: 'accounts',

    async onBoot(context: AppContext) {
      await seedRoles(context.db);
      const { superuser, oauthClient } = context.config;
      if (superuser) {
        const claim = await createSuperuserIfUnclaimed(context.db, superuser.email, superuser.password);
        if (claim.outcome === 'claimed-by-user') {
          context.log.warn(
            { userId: claim.user.id },
            `SUPERUSER_EMAIL ${superuser.email} belongs to an existing user (id ${claim.user.id}) who is not a superuser: boot promotes nobody and goes on without creating one; run "plio user create-superuser" to promote that user deliberately, or choose another email`,
          );
        }
      }
      if (oauthClient) await ensureOAuthClient(context.db, oauthClient);
    },

    async routes(app, context) {
      const credentials = new CredentialCache();
      app.addHook('onClose', async () => credentials.close());
      await context.database.listen(
        CREDENTIALS_CHANNEL,
        (payload) => credentials.forgetFromNotification(payload),
        () => credentials.forget('all'),
      );
      installAuthentication(app, context.db, context.secretKey, credentials, clock);
      const events = createUserEvents(context.config.redisUrl, context.log);
      app.addHook('onClose', () => events.close());
      // Serve only once changes made on other instances are heard.
      await events.ready();
      const limits = await createAbuseLimits(context.config, context.log);
      app.addHook('onClose', () => limits.close());
      rememberAccountServices(context, { events, limits });
      const deps: AccountsDeps = { context, clock, events, sms: createSmsSender(context.config.sms, context.log), limits };
      // WebSocket support for the whole app (one upgrade listener per server);
      // form bodies (OAuth clients send them) only for the account routes.
      await app.register(websocket);
      await app.register(async (scope) => {
        await scope.register(formbody);
        for (const routes of [tokenRoutes, loginRoutes, userRoutes, organizationRoutes, organizationUserRoutes, roleRoutes]) {
          await routes(scope, deps);
        }
      });
    },
  };
}

export const accounts: Feature = createAccounts();
