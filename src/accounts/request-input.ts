import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errors } from '../errors.ts';

/**
 * Reading loosely-typed request input (JSON or form bodies, query strings)
 * the way the reference does, with a 4xx for anything malformed.
 */

/** The request body as an object; no body is an empty object, anything else a 400. */
export function bodyOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('Expected a JSON object or form fields in the request body.');
  return body as Record<string, unknown>;
}

/** A text field given as a string (or a number, as forms and JSON clients may send). */
export function textField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw errors.validation({ [name]: ['Not a valid string.'] });
}

/** An id field (a positive integer, or its decimal text). */
export function idField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  const id = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0) throw errors.validation({ [name]: ['Incorrect type. Expected pk value.'] });
  return id;
}

/** A boolean field (JSON booleans, or form text "true"/"false"). */
export function booleanField(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True' || value === '1') return true;
  if (value === 'false' || value === 'False' || value === '0') return false;
  throw errors.validation({ [name]: ['Must be a valid boolean.'] });
}

/** A path id; anything that is not one can name no row, hence 404. */
export function pathId(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw errors.notFound();
  return Number(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Client credentials from the body or from HTTP Basic authentication (RFC 6749 section 2.3.1). */
export function clientCredentials(request: FastifyRequest, body: Record<string, unknown>): { id: unknown; secret: unknown } {
  const header = request.headers.authorization;
  const basic = typeof header === 'string' ? /^Basic\s+(\S+)$/i.exec(header.trim())?.[1] : undefined;
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
    }
  }
  return { id: body.client_id, secret: body.client_secret };
}

function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/**
 * A body schema of optional text fields (forms send text; JSON numbers and
 * booleans are coerced). Handlers check presence themselves, so a missing
 * field is answered with the reference's own message ("mobile not
 * provided"); the input guard (`src/http/input-guard.ts`) lets a request with no body reach them as `{}`.
 */
export function documentedFields(fields: Record<string, string>) {
  return Type.Object(
    Object.fromEntries(Object.entries(fields).map(([name, description]) => [name, Type.Optional(Type.String({ description }))])),
    { additionalProperties: true },
  );
}
