/**
 * The kinds of hostile input the fuzz pass sends to every documented
 * operation: each kind turns one operation into a request. Each is named,
 * so a failure names the kind that found it.
 */

/** What a kind needs to know about the operation it attacks. */
export interface Target {
  method: string;
  /** The path with every parameter filled with a valid value. */
  path: string;
  /** The path template (`/api/v1/plios/{uuid}/`) and its parameter names. */
  template: string;
  params: string[];
  /** Body fields the operation documents (or is known to read). */
  fields: string[];
  /** Query parameters the operation documents. */
  query: string[];
  /** A body that the operation accepts, as a base for single-field changes. */
  validBody: Record<string, unknown>;
  /** The operation takes a request body. */
  hasBody: boolean;
}

export interface HostileRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Raw text (sent as is) or a value (sent as JSON). */
  payload?: string | Buffer;
  contentType?: string;
}

/** Chooses one of several variants of a kind, as the seed says. */
export type Pick = <T>(variants: readonly T[]) => T;

export interface HostileKind {
  name: string;
  /** Requests for this target; none when the kind does not apply. */
  requests(target: Target, pick: Pick): HostileRequest[];
}

const NUL = '\u0000';
const LONE_HIGH = '\uD800';
const LONE_LOW = '\uDC00';

const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObjectJson = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const json = (value: unknown) => JSON.stringify(value);

/** One request per field, with one of `values` (the seed picks which) in that field of a valid body. */
function eachField(...values: unknown[]): HostileKind['requests'] {
  return (target, pick) =>
    target.hasBody
      ? target.fields.map((field) => ({
          method: target.method,
          url: target.path,
          payload: json({ ...target.validBody, [field]: pick(values) }),
          contentType: 'application/json',
        }))
      : [];
}

/** The whole body replaced by one of `texts`. */
function wholeBody(texts: readonly string[], contentType = 'application/json'): HostileKind['requests'] {
  return (target, pick) => (target.hasBody ? [{ method: target.method, url: target.path, payload: pick(texts), contentType }] : []);
}

/** Each path parameter replaced by one of `raws` (already percent-encoded); the others keep their valid value. */
function eachParam(...raws: string[]): HostileKind['requests'] {
  return (target, pick) =>
    target.params.map((param) => ({
      method: target.method,
      url: target.template.replace(/\{(\w+)\}/g, (whole, name: string) => (name === param ? pick(raws) : target.path.split('/')[target.template.split('/').indexOf(whole)]!)),
      ...(target.hasBody && { payload: json(target.validBody), contentType: 'application/json' }),
    }));
}

/** Each query parameter (documented, or a common one) set to one of `raws` (percent-encoded). */
function eachQuery(...raws: string[]): HostileKind['requests'] {
  return (target, pick) =>
    target.method === 'GET'
      ? (target.query.length > 0 ? target.query : ['page']).map((name) => ({ method: 'GET', url: `${target.path}?${name}=${pick(raws)}` }))
      : [];
}

function withHeader(name: string, value: string): HostileKind['requests'] {
  return (target) => [
    {
      method: target.method,
      url: target.path,
      headers: { [name]: value },
      ...(target.hasBody && { payload: json(target.validBody), contentType: 'application/json' }),
    },
  ];
}

const BOUNDARY = '----fuzzboundary';

/** Multipart bodies that no parser should accept. */
const BROKEN_MULTIPART: { text: string; contentType: string }[] = [
  // truncated: no closing boundary, the file part cut short
  {
    text: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="url"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG`,
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
  },
  // a part without headers
  { text: `--${BOUNDARY}\r\n\r\n\r\n--${BOUNDARY}--\r\n`, contentType: `multipart/form-data; boundary=${BOUNDARY}` },
  // no boundary parameter at all
  { text: 'garbage', contentType: 'multipart/form-data' },
  // a boundary that never occurs in the body
  { text: 'not multipart at all', contentType: `multipart/form-data; boundary=${BOUNDARY}` },
  // a NUL in the field name and in a text field
  {
    text: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="alt${NUL}text"\r\n\r\nx${NUL}y\r\n--${BOUNDARY}--\r\n`,
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
  },
];

/** The 25 kinds of hostile input of issue 9, each a family of requests (the seed picks among a kind's variants). */
export const HOSTILE_KINDS: readonly HostileKind[] = [
  { name: 'NUL in a text value', requests: eachField(`nul${NUL}byte`, NUL) },
  { name: 'lone surrogate in a value', requests: eachField(`a${LONE_HIGH}b`, LONE_LOW, `${LONE_LOW}${LONE_HIGH}`) },
  {
    name: 'NUL in a JSON key',
    requests: (target) => (target.hasBody ? [{ method: target.method, url: target.path, payload: json({ ...target.validBody, [`k${NUL}`]: 1, config: { [`in${NUL}side`]: true } }), contentType: 'application/json' }] : []),
  },
  {
    name: 'lone surrogate in a JSON key',
    requests: (target) => (target.hasBody ? [{ method: target.method, url: target.path, payload: json({ ...target.validBody, [`k${LONE_HIGH}`]: 1, config: { [LONE_LOW]: 1 } }), contentType: 'application/json' }] : []),
  },
  { name: 'number past bigint or past double', requests: eachField(2 ** 64, -(2 ** 63) - 4096, 1e308, -1e308) },
  {
    name: 'number written past double (1e400)',
    requests: (target) => (target.hasBody && target.fields.length > 0 ? [{ method: target.method, url: target.path, payload: json(target.validBody).replace(/^\{/, `{"${target.fields[0]}":1e400,`), contentType: 'application/json' }] : []),
  },
  { name: 'negative, zero and fractional numbers', requests: eachField(-1, 0, 1.5, -0.5) },
  { name: 'oversize text', requests: eachField('x'.repeat(70_000), '💥'.repeat(20_000)) },
  { name: 'wrong types (object, array, boolean, null)', requests: eachField({ a: [1] }, [1, 'two'], true, null) },
  { name: 'unknown enum value or reference (role, status, type, ids)', requests: eachField('emperor', 999_999_999, '999999999') },
  { name: 'JSON nested 5,000 deep', requests: wholeBody([deepJson(5000), deepObjectJson(5000)]) },
  {
    name: 'deep value inside a valid body',
    requests: (target) =>
      target.hasBody && target.fields.length > 0
        ? [{ method: target.method, url: target.path, payload: json({ ...target.validBody }).replace(/^\{/, `{"${target.fields[0]}":${deepJson(5000)},`), contentType: 'application/json' }]
        : [],
  },
  { name: 'JSON body null', requests: wholeBody(['null']) },
  { name: 'JSON body not an object (array, string, number, boolean)', requests: wholeBody(['[]', '[{}]', '"text"', '12', 'true']) },
  { name: 'malformed JSON', requests: wholeBody(['{"a":', '{"a":1}}', '\u0000', '{"a":"\\ud800"', '{"a":"\\x"}']) },
  { name: 'form body with NUL', requests: wholeBody(['mobile=%00&api_key=%00&unique_id=a%00b&name=x%00', 'name=%ED%A0%80&config=%FF'], 'application/x-www-form-urlencoded') },
  {
    name: 'broken multipart',
    requests: (target) => (target.method === 'POST' ? BROKEN_MULTIPART.map(({ text, contentType }) => ({ method: 'POST', url: target.path, payload: text, contentType })) : []),
  },
  { name: 'NUL as a path id (%00)', requests: eachParam('%00', 'a%00', '%00%00') },
  { name: 'oversize path id', requests: eachParam('99999999999999999999', '9'.repeat(5000), '9223372036854775808') },
  { name: 'malformed path id', requests: eachParam('-1', '1.5', 'abc', "1'or'1'='1", '%2E%2E%2F', '1e3') },
  { name: 'invalid UTF-8 and surrogates in the path', requests: eachParam('%ED%A0%80', '%FF', '%F0%9F', '%') },
  { name: 'NUL in a query value', requests: eachQuery('a%00b', '%00') },
  { name: 'invalid UTF-8, surrogates and malformed escapes in a query value', requests: eachQuery('%ED%A0%80', '%FF', '%', '%zz') },
  { name: 'oversize or repeated query values', requests: eachQuery('9'.repeat(30), 'x'.repeat(10_000), '1&page=2&search=a&search=b') },
  { name: 'NUL in the Organization header', requests: withHeader('organization', `af${NUL}`) },
  { name: 'lone surrogate in the Organization header', requests: withHeader('organization', `a${LONE_HIGH}`) },
  { name: 'oversize Organization header', requests: withHeader('organization', 'o'.repeat(10_000)) },
  { name: 'NUL in the Authorization header', requests: withHeader('authorization', `Bearer a${NUL}b`) },
];
