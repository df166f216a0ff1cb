import type { FastifyError, FastifyInstance } from 'fastify';
import { errors, PlioError, type FieldErrors } from '../errors.ts';
import { pgErrorCode, PG } from '../db/db-errors.ts';

/**
 * Turns every failure into the reference's JSON shape: catalog errors with
 * their status, schema validation as field errors, malformed input as 400,
 * and anything unexpected as a logged 500 that reveals nothing.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | PlioError, request, reply) => {
    const known = toPlioError(error);
    if (known) {
      if (known.status >= 500) request.log.error({ err: error, tenant: request.tenant?.schema }, known.message);
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
  // Values the database refused (a number out of range, a malformed uuid...)
  // are the client's mistake, not ours.
  const code = pgErrorCode(error);
  if (code === PG.INVALID_TEXT_REPRESENTATION || code === PG.NUMERIC_OUT_OF_RANGE || code === PG.STRING_TOO_LONG) {
    return errors.badRequest('Invalid value.');
  }
  return undefined;
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
