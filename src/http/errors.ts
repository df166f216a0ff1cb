import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { errors, PlioError, type FieldErrors } from '../errors.ts';
import { pgErrorCode } from '../db/db-errors.ts';
import { isDatabaseOutage } from '../db/outage.ts';

/**
 * Turns every failure into the reference's JSON shape: catalog errors with
 * their status, schema validation as field errors, malformed input as 400,
 * a database outage as 503 with `Retry-After`, and anything unexpected as a
 * logged 500 that reveals nothing. Errors are classified by what they are,
 * not where they were thrown: one that surfaces at COMMIT (a deferred
 * constraint on Citus, a connection lost mid-transaction) is mapped the same.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | PlioError, request, reply) => {
    const known = toPlioError(error);
    if (known) {
      if (known.status >= 500) logFailure(request, error, known);
      if (known.retryAfter !== undefined) reply.header('retry-after', String(known.retryAfter));
      return reply.status(known.status).send(known.body);
    }
    request.log.error({ err: error, tenant: request.tenant?.schema }, 'unhandled error');
    return reply.status(500).send({ detail: 'Internal server error.' });
  });

  app.setNotFoundHandler((_request, reply) => reply.status(404).send(errors.notFound().body));
}

function toPlioError(error: FastifyError | PlioError): PlioError | undefined {
  if (error instanceof PlioError) return error;
  if (error.validation) return errors.validation(validationFields(error));
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge('the allowed size');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(String(error.message.split("'")[1] ?? ''));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.badRequest(`JSON parse error - ${error.message}`);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return errors.badRequest(error.message);
  if (isDatabaseOutage(error)) return errors.databaseUnavailable();
  // Values the database refused (SQLSTATE class 22, data exception: a number
  // out of range, a malformed uuid, a string too long...) are the client's
  // mistake, not ours.
  if (pgErrorCode(error)?.startsWith('22')) return errors.badRequest('Invalid value.');
  return undefined;
}

/** A passing failure (an outage: it says when to retry) is one line without a stack, not an alarm per request. */
function logFailure(request: FastifyRequest, error: unknown, known: PlioError): void {
  const tenant = request.tenant?.schema;
  if (known.retryAfter !== undefined) request.log.warn({ cause: error instanceof Error ? error.message : String(error), tenant }, known.message);
  else request.log.error({ err: error, tenant }, known.message);
}

function validationFields(error: FastifyError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.validation ?? []) {
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const missing = (issue.params as { missingProperty?: string }).missingProperty;
    const field = missing ?? (path || error.validationContext || 'non_field_errors');
    const message = missing ? 'This field is required.' : (issue.message ?? 'Invalid value.');
    (fields[field] ??= []).push(message);
  }
  return fields;
}
