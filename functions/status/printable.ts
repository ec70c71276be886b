// Text that people typed into the watchlist (names) or that a store holds is
// shown on a terminal and in JSON on stdout. A control character in it could
// move the cursor, clear the screen or retitle the window (ESC, CSI), and a
// bidi override could reverse what a line seems to say, so each is shown as a
// visible escape at print time, whatever the schema let through when it was
// saved.

/** C0 and C1 controls, DEL, line/paragraph separators and the bidi embedding/override/isolate marks. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;
/** The same less C0, which JSON.stringify escapes itself (and whose \n is JSON's own layout). */
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

function escapeOf(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `"SK\x1b[2J"` → `SK\x1b[2J` as plain visible characters. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOf);
}

/**
 * JSON for stdout: JSON.stringify already escapes C0 controls; this escapes
 * the rest of UNPRINTABLE as \uXXXX too, which any JSON reader decodes back.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    UNPRINTABLE_IN_JSON,
    (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
