// EUC-KR bytes for the simulator's error pages in that charset. Node decodes
// EUC-KR (full ICU) but has no encoder, so the table is the decoder run
// backwards over every two-byte code (the WHATWG "euc-kr" decoder, which is
// Microsoft's code page 949), built once on first use.

let table: Map<string, [number, number]> | undefined;

function reverseTable(): Map<string, [number, number]> {
  if (table !== undefined) return table;
  const decoder = new TextDecoder('euc-kr');
  table = new Map();
  for (let lead = 0x81; lead <= 0xfe; lead += 1) {
    for (let trail = 0x41; trail <= 0xfe; trail += 1) {
      const char = decoder.decode(Uint8Array.of(lead, trail));
      // Unassigned codes decode to U+FFFD (or to two characters).
      if (char.length === 1 && char !== '\uFFFD' && !table.has(char)) table.set(char, [lead, trail]);
    }
  }
  return table;
}

export class UnencodableError extends Error {
  override readonly name = 'UnencodableError';
}

/** `text` as EUC-KR bytes; ASCII stays one byte. */
export function encodeEucKr(text: string): Buffer {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const pair = reverseTable().get(char);
    if (pair === undefined) throw new UnencodableError(`U+${code.toString(16).toUpperCase()} has no EUC-KR form`);
    bytes.push(...pair);
  }
  return Buffer.from(bytes);
}
