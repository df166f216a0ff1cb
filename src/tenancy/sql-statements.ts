/**
 * Splits a migration script into its statements, so that each goes to the
 * server as its own query: Citus forwards `CREATE INDEX` and most
 * `ALTER TABLE` to the workers as the whole query string and refuses one
 * that holds several commands.
 *
 * A semicolon ends a statement unless it is inside a string ('…', E'…'), a
 * quoted identifier ("…"), a dollar-quoted body ($$…$$, $tag$…$tag$) or a
 * comment (-- … and nested /* … *\/). Empty statements are dropped; the
 * text of each is kept as written, without the semicolon.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < script.length) {
    const char = script[i]!;
    if (char === ';') {
      statements.push(script.slice(start, i));
      start = ++i;
    } else if (char === "'" || char === '"') {
      i = quotedEnd(script, i, char);
    } else if (char === '-' && script[i + 1] === '-') {
      const newline = script.indexOf('\n', i);
      i = newline < 0 ? script.length : newline + 1;
    } else if (char === '/' && script[i + 1] === '*') {
      i = blockCommentEnd(script, i);
    } else if (char === '$') {
      i = dollarQuotedEnd(script, i);
    } else {
      i++;
    }
  }
  statements.push(script.slice(start));
  return statements.map((statement) => statement.trim()).filter((statement) => statement !== '');
}

/** Past the closing quote of a string or identifier opened at `open` (a doubled quote is part of it). */
function quotedEnd(script: string, open: number, quote: string): number {
  // E'…' strings may escape a quote with a backslash.
  const backslashEscapes = quote === "'" && /[eE]/.test(script[open - 1] ?? '') && !/[\w$]/.test(script[open - 2] ?? '');
  let i = open + 1;
  while (i < script.length) {
    if (backslashEscapes && script[i] === '\\') i += 2;
    else if (script[i] === quote && script[i + 1] === quote) i += 2;
    else if (script[i] === quote) return i + 1;
    else i++;
  }
  return i;
}

function blockCommentEnd(script: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < script.length) {
    if (script.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (script.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}

/** Past a dollar-quoted body opened at `open`, or just past the `$` when it opens none (`$1`, a name's `$`). */
function dollarQuotedEnd(script: string, open: number): number {
  if (/[\w$]/.test(script[open - 1] ?? '')) return open + 1; // inside an identifier such as a$b
  const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(open))?.[0];
  if (!tag) return open + 1;
  const close = script.indexOf(tag, open + tag.length);
  return close < 0 ? script.length : close + tag.length;
}
