/**
 * The catalog of every refusal the system makes.
 *
 * Each entry has a stable code, an HTTP status and a message. Code everywhere
 * throws through these factories, so the same mistake is answered the same
 * way by the HTTP API and by the `plio` command line, and the whole list can
 * be read in one place.
 *
 * HTTP bodies follow the reference: `{"detail": message}`, or for field
 * validation `{"field": ["message"]}`.
 */

export type FieldErrors = Record<string, string[]>;

export class PlioError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Field errors, answered instead of `{detail}` when present. */
    readonly fields?: FieldErrors,
    /** Seconds after which the same request may succeed: the `Retry-After` header. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'PlioError';
  }

  /** The JSON body the HTTP API answers with. */
  get body(): Record<string, unknown> {
    return this.fields ?? { detail: this.message };
  }
}

/**
 * An OAuth 2.0 token-endpoint refusal (RFC 6749 section 5.2): answered as
 * `{"error", "error_description"}`, the shape OAuth clients (and the web
 * client's refresh logic) expect from `/auth/*`.
 */
export class OAuthError extends PlioError {
  constructor(
    status: number,
    readonly error: string,
    description: string,
  ) {
    super(`OAUTH_${error.toUpperCase()}`, status, description);
  }

  override get body(): Record<string, unknown> {
    return { error: this.error, error_description: this.message };
  }
}

/** How long a client should wait after an outage answer: long enough for a restart or failover to show. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const error =
  <A extends unknown[]>(code: string, status: number, message: (...args: A) => string) =>
  (...args: A) =>
    new PlioError(code, status, message(...args));

export const errors = {
  // tenancy
  invalidSchemaName: (name: string, reason: string) =>
    new PlioError('INVALID_SCHEMA_NAME', 400, `invalid schema name "${name}": ${reason}`, {
      schema_name: [`invalid schema name: ${reason}`],
    }),
  schemaNameTaken: (name: string) =>
    new PlioError('SCHEMA_NAME_TAKEN', 400, `schema "${name}" already exists`, {
      schema_name: ['organization with this schema name already exists.'],
    }),
  shortcodeTaken: (shortcode: string) =>
    new PlioError('SHORTCODE_TAKEN', 400, `an organization with shortcode "${shortcode}" already exists`, {
      shortcode: ['organization with this shortcode already exists.'],
    }),
  invalidShortcode: (shortcode: string) =>
    new PlioError(
      'INVALID_SHORTCODE',
      400,
      `invalid shortcode "${shortcode}": use 1-255 letters, digits, "-" or "_"`,
      { shortcode: ['Enter a valid shortcode: letters, digits, "-" or "_".'] },
    ),
  invalidName: (reason: string) => new PlioError('INVALID_NAME', 400, `invalid name: ${reason}`, { name: [reason] }),
  organizationNotFound: error('ORGANIZATION_NOT_FOUND', 404, () => 'Organization not found.'),
  organizationNotFoundByShortcode: error(
    'ORGANIZATION_NOT_FOUND',
    404,
    (shortcode: string) => `no organization with shortcode "${shortcode}"`,
  ),
  publicTenantImmutable: error(
    'PUBLIC_TENANT_IMMUTABLE',
    400,
    (action: string) => `the public tenant cannot be ${action}`,
  ),
  domainTaken: (domain: string) =>
    new PlioError('DOMAIN_TAKEN', 400, `domain "${domain}" is already in use`, {
      domain: ['domain with this domain already exists.'],
    }),
  invalidDomain: (domain: string) =>
    new PlioError(
      'INVALID_DOMAIN',
      400,
      `invalid domain "${domain}": expected a host name with an optional first path segment, e.g. plio.in/avantifellows`,
      { domain: ['Enter a valid domain, e.g. plio.in or plio.in/avantifellows.'] },
    ),
  domainNotFound: error('DOMAIN_NOT_FOUND', 404, () => 'That domain no longer exists.'),
  embeddedDatabaseBusy: error(
    'EMBEDDED_DATABASE_BUSY',
    409,
    (dir: string, pid: number) =>
      `the embedded database in ${dir} is in use by process ${pid}; stop it first, or set DATABASE_URL to use a PostgreSQL server`,
  ),
  /** The database is down, frozen, overloaded or too slow (`src/db/outage.ts`): passing, hence `Retry-After`. */
  databaseUnavailable: () =>
    new PlioError(
      'DATABASE_UNAVAILABLE',
      503,
      'The database is unavailable or too slow right now; try again in a few seconds.',
      undefined,
      DATABASE_RETRY_AFTER_SECONDS,
    ),
  migrationsPending: error('MIGRATIONS_PENDING', 503, (count: number) => `${count} schema(s) are not migrated`),
  citusRequired: error(
    'CITUS_REQUIRED',
    400,
    (action: string) => `${action} needs a Citus cluster with schema-based sharding; this database has no citus extension`,
  ),
  unknownNode: error(
    'UNKNOWN_NODE',
    400,
    (node: string, known: string[]) => `"${node}" is not a node of this Citus cluster; its nodes are ${known.join(', ') || 'none'}`,
  ),

  // portability (export, import, copy)
  archiveInvalid: error(
    'ARCHIVE_INVALID',
    400,
    (reason: string) => `not a usable Plio organization archive: ${reason}; nothing was imported`,
  ),
  archiveTooNew: error(
    'ARCHIVE_TOO_NEW',
    400,
    (what: string, archive: number, supported: number) =>
      `the archive's ${what} is ${archive}, newer than this installation's ${supported}; upgrade Plio here first, nothing was imported`,
  ),
  copyTargetNotEmpty: error(
    'COPY_TARGET_NOT_EMPTY',
    409,
    (target: string) => `${target} is not empty; plio db copy only copies into an empty database`,
  ),

  // generic HTTP
  badRequest: error('BAD_REQUEST', 400, (message: string) => message),
  malformedMultipart: error('MALFORMED_MULTIPART', 400, (reason: string) => `Malformed multipart body: ${reason}`),
  validation: (fields: FieldErrors) =>
    new PlioError('VALIDATION_FAILED', 400, Object.entries(fields).map(([f, m]) => `${f}: ${m.join(' ')}`).join('; '), fields),
  notAuthenticated: error('NOT_AUTHENTICATED', 401, () => 'Authentication credentials were not provided.'),
  permissionDenied: error(
    'PERMISSION_DENIED',
    403,
    (message?: string) => message ?? 'You do not have permission to perform this action.',
  ),
  notFound: error('NOT_FOUND', 404, () => 'Not found.'),
  notFoundWith: error('NOT_FOUND', 404, (message: string) => message),
  methodNotAllowed: error('METHOD_NOT_ALLOWED', 405, (method: string) => `Method "${method}" not allowed.`),
  payloadTooLarge: error('PAYLOAD_TOO_LARGE', 413, (limit: string) => `Request body is larger than ${limit}.`),
  unsupportedMediaType: error(
    'UNSUPPORTED_MEDIA_TYPE',
    415,
    (type: string) => `Unsupported media type "${type}" in request.`,
  ),
  // content and learning
  plioNotFound: error('PLIO_NOT_FOUND', 404, () => 'Plio not found'),
  invalidReference: (field: string, value: unknown) =>
    new PlioError('INVALID_REFERENCE', 400, `${field}: object ${String(value)} does not exist`, {
      [field]: [`Invalid pk "${String(value)}" - object does not exist.`],
    }),
  sessionForDraftPlio: () =>
    new PlioError('SESSION_FOR_DRAFT_PLIO', 400, 'A session can only be created for a published plio', {
      non_field_errors: ['A session can only be created for a published plio'],
    }),
  workspaceNotProvided: error('WORKSPACE_NOT_PROVIDED', 400, () => 'workspace is not provided'),
  workspaceNotFound: error('WORKSPACE_NOT_FOUND', 404, () => 'workspace does not exist'),
  notWorkspaceMember: error(
    'NOT_WORKSPACE_MEMBER',
    403,
    () => 'You are not a member of the workspace you are copying to.',
  ),
  itemIdsNotProvided: error('ITEM_IDS_NOT_PROVIDED', 400, () => 'item id(s) not provided'),
  archiveRequired: error('ARCHIVE_REQUIRED', 400, () => 'Choose an archive file (.plio.tar.gz) to import.'),
  archiveTooLarge: error('ARCHIVE_TOO_LARGE', 413, (limit: string) => `The archive is larger than ${limit}, the most the console accepts; import it with plio org import instead.`),
  itemIdsNotAList: error('ITEM_IDS_NOT_A_LIST', 400, () => 'id should contain a list of item ids to be deleted'),
  itemIdsNotFound: error('ITEM_IDS_NOT_FOUND', 404, () => 'one or more of the ids provided do not exist'),
  imageRequired: () =>
    new PlioError('IMAGE_REQUIRED', 400, 'url: No file was submitted.', { url: ['No file was submitted.'] }),
  imageTooLarge: (limit: number) =>
    new PlioError('IMAGE_TOO_LARGE', 400, `url: image larger than ${limit} bytes`, {
      url: [`Image size exceeds the maximum allowed (${limit} bytes).`],
    }),
  invalidImage: () =>
    new PlioError('INVALID_IMAGE', 400, 'url: not an image', {
      url: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'],
    }),
  /** An abuse limit refused the request (docs/security.md); `message` says which, `seconds` when to retry. */
  rateLimited: (message: string, seconds: number) =>
    new PlioError('RATE_LIMITED', 429, `${message} Try again in ${seconds} seconds.`, undefined, seconds),

  // accounts
  oauthInvalidRequest: (description: string) => new OAuthError(400, 'invalid_request', description),
  oauthInvalidClient: () => new OAuthError(401, 'invalid_client', 'Invalid client credentials.'),
  oauthInvalidGrant: (description: string) => new OAuthError(400, 'invalid_grant', description),
  oauthUnsupportedGrantType: () => new OAuthError(400, 'unsupported_grant_type', 'Use grant_type password, refresh_token or convert_token.'),
  otpNotAccepted: error('OTP_NOT_ACCEPTED', 401, () => 'unauthorized'),
  /** `seconds`: until the locked codes expire (a new code can be requested at once). */
  otpTooManyAttempts: (seconds: number) =>
    new PlioError('OTP_TOO_MANY_ATTEMPTS', 429, 'Too many incorrect OTP attempts. Request a new OTP.', undefined, seconds),
  invalidMobile: () =>
    new PlioError('INVALID_MOBILE', 400, 'mobile: not a valid mobile number', {
      mobile: ['Enter a valid mobile number, e.g. +919876543210.'],
    }),
  smsUnavailable: error('SMS_UNAVAILABLE', 503, () => 'Could not send the OTP right now; try again later.'),
  userNotFound: error('USER_NOT_FOUND', 404, () => 'User not found.'),
  membershipExists: () =>
    new PlioError('MEMBERSHIP_EXISTS', 400, 'this user is already a member of this organization', {
      non_field_errors: ['The fields user, organization must make a unique set.'],
    }),

  // operator console
  consoleBadCredentials: error('CONSOLE_BAD_CREDENTIALS', 401, () => 'The email or password is not right.'),
  consoleSuperusersOnly: error(
    'CONSOLE_SUPERUSERS_ONLY',
    403,
    () => 'The console is for superusers only. Ask a superuser to run "plio user create-superuser" for your account.',
  ),
  consoleConfirmationMismatch: error(
    'CONSOLE_CONFIRMATION_MISMATCH',
    400,
    (expected: string) => `Type the shortcode "${expected}" exactly to confirm; nothing was deleted.`,
  ),
  userNotFoundByIdentity: error('USER_NOT_FOUND_BY_IDENTITY', 404, (identity: string) => `No user has the email or phone "${identity}".`),

  // analytics
  reportOfDraftPlio: error('REPORT_OF_DRAFT_PLIO', 404, () => 'Data dumps are not available for draft plios'),
} as const;
