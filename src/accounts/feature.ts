import type { Feature } from '../feature.ts';
import { installAuthentication } from './current-user.ts';

/** Users, roles, memberships, the three logins and tokens. */
export const accounts: Feature = {
  name: 'accounts',
  async routes(app, context) {
    installAuthentication(app, context.db);
  },
};
