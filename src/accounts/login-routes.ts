import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.ts';
import { countingFailures } from './abuse-limits.ts';
import { signIn } from './login.ts';
import { defaultApplicationId } from './oauth-clients.ts';
import { requestOtp, verifyOtp } from './otp.ts';
import { normalizeMobile } from './phone-numbers.ts';
import { otpMessage } from './sms.ts';
import { userForExternalId, userForMobile } from './users.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { bodyOf, documentedFields, textField } from './request-input.ts';

/** The two logins without a client secret: OTP over SMS and third-party SSO by an organization's api_key. */
export async function loginRoutes(app: FastifyInstance, deps: AccountsDeps): Promise<void> {
  const { db, config, log, secretKey } = deps.context;
  const { limits } = deps;
  const applicationId = () => defaultApplicationId(db, config.oauthClient?.id);
  const mobileOf = (body: Record<string, unknown>): string => {
    const mobile = textField(body, 'mobile');
    if (mobile === undefined) throw errors.badRequest('mobile not provided');
    return normalizeMobile(mobile, config.phoneRegion);
  };

  app.post(
    '/api/v1/otp/request/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Send a one-time password to a mobile number',
        body: documentedFields({ mobile: 'mobile number, e.g. +919876543210' }),
      },
    },
    async (request) => {
      const mobile = mobileOf(bodyOf(request));
      await limits.otpAddress.take(request.ip);
      await limits.otpMobile.take(mobile);
      const otp = await requestOtp(db, secretKey, mobile, deps.clock());
      try {
        await deps.sms.send(mobile, otpMessage(otp.code));
      } catch (error) {
        log.error({ err: error, mobile }, 'sending the OTP failed');
        // No code reached the number: asking again is not abuse.
        await limits.otpMobile.refund(mobile);
        throw errors.smsUnavailable();
      }
      return { id: otp.id, mobile: otp.mobile, expires_at: otp.expires_at, created_at: otp.created_at, updated_at: otp.updated_at };
    },
  );

  app.post(
    '/api/v1/otp/verify/',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a one-time password for a token pair',
        body: documentedFields({ mobile: 'mobile number the code was sent to', otp: 'the 6-digit code' }),
      },
    },
    async (request) => {
      const body = bodyOf(request);
      const mobile = mobileOf(body);
      const code = textField(body, 'otp');
      if (code === undefined) throw errors.badRequest('otp not provided');
      if (!(await verifyOtp(db, secretKey, mobile, code.trim(), deps.clock()))) throw errors.otpNotAccepted();
      const user = await userForMobile(db, mobile);
      return signIn(db, secretKey, user.id, await applicationId(), deps.clock);
    },
  );

  app.post(
    '/auth/generate-external-auth-access-token/',
    {
      schema: {
        tags: ['auth'],
        summary: "Sign in a third-party user by an organization's api_key and the user's unique_id",
        body: documentedFields({ unique_id: "the user's id in the third-party system", api_key: "the organization's api_key" }),
      },
    },
    async (request) => {
      const body = bodyOf(request);
      // Guessing api_keys costs the address its failed-login allowance.
      return countingFailures(limits.failedLoginsAddress, request.ip, () => externalSignIn(body));
    },
  );

  /** The SSO login: one user per (unique_id, organization of the api_key). */
  async function externalSignIn(body: Record<string, unknown>) {
    const uniqueId = textField(body, 'unique_id');
    const apiKey = textField(body, 'api_key');
    if (apiKey === undefined) throw errors.badRequest('api_key not provided.');
    if (uniqueId === undefined) throw errors.badRequest('unique_id not provided.');
    if (uniqueId === '' || uniqueId.length > 255) throw errors.validation({ unique_id: ['Enter 1 to 255 characters.'] });
    const organization = await db
      .selectFrom('public.organization')
      .select('id')
      .where('api_key', '=', apiKey)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!organization) throw errors.badRequest('Invalid api_key provided.');
    const user = await userForExternalId(db, uniqueId, organization.id);
    return signIn(db, secretKey, user.id, await applicationId(), deps.clock);
  }
}
