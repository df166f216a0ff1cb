import type { Config } from '../config.ts';
import { errors } from '../errors.ts';

export interface GoogleProfile {
  email: string;
  firstName: string;
  lastName: string;
  picture: string | null;
}

/**
 * Asks Google's tokeninfo endpoint (`GOOGLE_TOKENINFO_URL`) who a Google
 * token belongs to. The token must carry a verified email and, when
 * `GOOGLE_OAUTH2_CLIENT_ID` is set, have been issued to our client.
 */
export async function verifyGoogleToken(google: Config['google'], token: string): Promise<GoogleProfile> {
  const url = new URL(google.tokenInfoUrl);
  url.searchParams.set('access_token', token);
  let info: Record<string, unknown>;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw errors.oauthInvalidGrant('Invalid Google token.');
    info = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code === 'OAUTH_INVALID_GRANT') throw error;
    throw errors.oauthInvalidGrant('Could not verify the Google token.');
  }
  if (typeof info !== 'object' || info === null) throw errors.oauthInvalidGrant('Invalid Google token.');
  const email = typeof info.email === 'string' ? info.email : undefined;
  const verified = info.email_verified === true || info.email_verified === 'true';
  if (!email || !verified) throw errors.oauthInvalidGrant('The Google account has no verified email.');
  if (google.clientId && info.aud !== google.clientId && info.azp !== google.clientId) {
    throw errors.oauthInvalidGrant('The Google token was issued to another application.');
  }
  return {
    email,
    firstName: typeof info.given_name === 'string' ? info.given_name : '',
    lastName: typeof info.family_name === 'string' ? info.family_name : '',
    picture: typeof info.picture === 'string' ? info.picture : null,
  };
}
