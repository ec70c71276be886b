// Everything kfa prints goes through here. Stored data (names, templates,
// ledger payloads, attributes typed in the DynamoDB console) reaches the
// operator's terminal, where an ESC sequence could clear the screen or write
// the clipboard (OSC 52) and a bidi override could make a line read as
// something else. So every Unicode \p{C} character except the line breaks
// kfa itself writes is printed as a \uXXXX escape. JSON output stays valid
// JSON with the same values: inside strings that is JSON's own escape, and
// JSON.stringify puts nothing but newlines and spaces outside them.
import { escapeInvisible } from '../functions/domain/watchlist.ts';

/** The text with every control or invisible formatting character but "\n" escaped. */
export function printable(text: string): string {
  return text.split('\n').map(escapeInvisible).join('\n');
}

/**
 * One value inside a line or a table cell (a name, a template): its line
 * breaks are escaped too, so a stored value can never start a line that
 * looks like kfa's own.
 */
export function cell(text: string): string {
  return escapeInvisible(text);
}

/** Results (tables, JSON) on stdout. */
export function out(text: string): void {
  process.stdout.write(printable(text));
}

/** Progress and human messages go to stderr, one line each; stdout is for results. */
export function say(line: string): void {
  process.stderr.write(`${printable(line)}\n`);
}

/** Raw stderr text (commander's help and errors), escaped the same way. */
export function sayRaw(text: string): void {
  process.stderr.write(printable(text));
}
