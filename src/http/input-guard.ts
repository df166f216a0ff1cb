/**
 * The one place that refuses input PostgreSQL or our parsers cannot take,
 * before it reaches a handler or a query: NUL characters and unpaired
 * surrogates anywhere (URL, headers, JSON keys and values, form fields),
 * malformed percent-escapes, JSON nested deeper than {@link MAX_JSON_DEPTH},
 * numbers past the range of a double, and request bodies that are not objects.
 *
 * PostgreSQL stores no NUL in `text` or `jsonb` and refuses unpaired
 * surrogates (they have no UTF-8 form); without this guard each of them
 * surfaced as a 500 from whichever query met it first.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors } from '../errors.ts';

/** Deeper JSON than any Plio document needs; deeper input is refused before it is parsed. */
export const MAX_JSON_DEPTH = 64;

/** In `u` mode a surrogate pair is one code point: this matches only unpaired halves. */
const LONE_SURROGATE = /\p{Surrogate}/u;

const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Installs the guard on the root app, before tenant resolution and authentication (which read the headers). */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    checkUrl(request.url);
    checkHeaders(request);
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // An empty body with a JSON content type is no body, as without one.
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepth(text) > MAX_JSON_DEPTH) return done(tooDeep(), undefined);
    parseJson(request, text, done);
  });

  app.addHook('preValidation', async (request) => {
    if (!METHODS_WITHOUT_BODY.has(request.method)) {
      // No body is an empty object, as the reference treats it
      // (`POST /plios/` with nothing creates a plio); a body that is
      // there must be an object.
      if (request.body === undefined) request.body = {};
      else if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body) || Buffer.isBuffer(request.body)) {
        throw errors.badRequest('Expected a JSON object in the request body.');
      }
    }
    checkValue(request.body);
    checkValue(request.query);
    checkValue(request.params);
  });
}

/** A NUL or an unpaired surrogate, named for the 400; undefined when the text is storable. */
function badCharacter(text: string): string | undefined {
  if (text.includes('\u0000')) return 'Null characters are not allowed.';
  if (LONE_SURROGATE.test(text)) return 'Unpaired surrogate characters are not allowed.';
  return undefined;
}

function refuse(text: string, where: string): void {
  const problem = badCharacter(text);
  if (problem) throw errors.badRequest(`${problem.slice(0, -1)} (${where}).`);
}

function checkUrl(url: string): void {
  let decoded: string;
  try {
    // Every percent-escape must decode to UTF-8 (a surrogate's escape does not).
    decoded = decodeURIComponent(url.replaceAll('+', ' '));
  } catch {
    throw errors.badRequest('Malformed percent-encoding in the URL.');
  }
  refuse(decoded, 'in the URL');
}

function checkHeaders(request: FastifyRequest): void {
  for (const [name, value] of Object.entries(request.headers)) {
    for (const text of Array.isArray(value) ? value : [value]) refuse(String(text ?? ''), `in the ${name} header`);
  }
}

/** Walks parsed input without recursion: keys and strings must be storable, nesting bounded. */
function checkValue(root: unknown): void {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value === 'string') refuse(value, 'in the request');
    // JSON.parse turns a literal past the double range (1e400) into Infinity, which JSON cannot even store back.
    else if (typeof value === 'number' && !Number.isFinite(value)) throw errors.badRequest('Numbers must be finite: this one is past the range of a double.');
    else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_JSON_DEPTH) throw tooDeep();
      for (const [key, entry] of Object.entries(value)) {
        refuse(key, 'in a field name');
        stack.push([entry, depth + 1]);
      }
    }
  }
}

/**
 * The deepest nesting of arrays and objects in JSON text, read in one pass
 * without parsing (brackets inside strings do not count), so that absurdly
 * deep input never reaches a recursive parser or walker.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x5b || char === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (char === 0x5d || char === 0x7d) depth--;
  }
  return deepest;
}

function tooDeep() {
  return errors.badRequest(`JSON nested deeper than ${MAX_JSON_DEPTH} levels is not accepted.`);
}
