/** A value cut short is still a leak: every 16-character piece of a secret is looked for, not only the whole. */
export const PIECE_CHARS = 16;

/** Values shorter than this are not looked for: they are too short to be told from ordinary text. */
export const MIN_SECRET_CHARS = 8;

/** One place a secret (or a piece of it) showed up. */
export interface Leak {
  /** The output it showed up in, e.g. `sns publish`. */
  readonly output: string;
  /** What leaked, e.g. `okx-healthy apiSecret` (never the value itself). */
  readonly secret: string;
  /** Where in the output, with the leaked piece replaced by `<LEAK>`. */
  readonly context: string;
}

/**
 * Compares secrets in a form that survives PEM armour, line breaks and JSON-escaped newlines: the
 * armour, whitespace and literal `\n` (as a PEM pasted into JSON often keeps) are dropped.
 */
export function normalizeForScan(text: string): string {
  return text
    .replace(/-----[A-Z0-9 ]+-----/g, '')
    .replace(/\\[nrt]/g, '')
    .replace(/\s+/g, '');
}

/**
 * The forms an output string may carry a secret in: as is, with JSON escapes undone (an exchange
 * quoting the request back as JSON inside a message), and percent-decoded (a query string).
 */
export function decodedForms(text: string): string[] {
  const unescaped = text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\(["\\/])/g, '$1');
  const decoded = text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
  return [...new Set([text, unescaped, decoded])];
}

/**
 * Every string inside `value`, for scanning: object and array leaves, an Error's name, message,
 * stack, own fields and its whole `cause` chain, and the leaves of any string that is itself JSON.
 */
export function collectStrings(value: unknown, out: Set<string> = new Set(), seen: Set<unknown> = new Set()): Set<string> {
  if (typeof value === 'string') {
    out.add(value);
    const trimmed = value.trim();
    if (/^[[{]/.test(trimmed)) {
      try {
        collectStrings(JSON.parse(trimmed), out, seen);
      } catch {
        // Not JSON after all: the text itself is already collected.
      }
    }
    return out;
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof Error) {
    for (const part of [value.name, value.message, value.stack]) collectStrings(part, out, seen);
    collectStrings(value.cause, out, seen);
  }
  if (ArrayBuffer.isView(value)) {
    collectStrings(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'), out, seen);
    return out;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectStrings(item, out, seen);
  return out;
}

/**
 * Looks for secrets in outputs: each secret is registered with a label, and every 16-character
 * window of it (after {@link normalizeForScan}) is searched for in every decoded form of every
 * output string. A secret shorter than 16 characters is searched for whole.
 */
export class LeakScanner {
  private readonly pieces = new Map<string, string>();
  private readonly whole = new Map<string, string>();
  private readonly ignored = new Set<string>();
  /** Distinct secret values registered. */
  values = 0;

  /** Registers `value` under `label`; returns whether it was long enough to be looked for. */
  add(value: string, label: string): boolean {
    const text = normalizeForScan(value);
    if (text.length < MIN_SECRET_CHARS || this.ignored.has(text)) return false;
    if (text.length < PIECE_CHARS) {
      if (!this.whole.has(text)) this.values += 1;
      this.whole.set(text, label);
      return true;
    }
    let added = false;
    for (let i = 0; i + PIECE_CHARS <= text.length; i++) {
      const piece = text.slice(i, i + PIECE_CHARS);
      if (this.ignored.has(piece) || this.pieces.has(piece)) continue;
      this.pieces.set(piece, label);
      added = true;
    }
    if (added) this.values += 1;
    return true;
  }

  /** Never looks for `text` (or, for longer text, any of its pieces): it is public, e.g. a signing scheme's name. */
  ignore(text: string): void {
    const normalized = normalizeForScan(text);
    this.ignored.add(normalized);
    this.whole.delete(normalized);
    for (let i = 0; i + PIECE_CHARS <= normalized.length; i++) {
      const piece = normalized.slice(i, i + PIECE_CHARS);
      this.ignored.add(piece);
      this.pieces.delete(piece);
    }
  }

  /** How many 16-character pieces are looked for. */
  get pieceCount(): number {
    return this.pieces.size;
  }

  /** Every leak in `outputs` (output label to its strings), at most `limit`. */
  scan(outputs: ReadonlyMap<string, Iterable<string>>, limit = 20): Leak[] {
    const leaks: Leak[] = [];
    for (const [output, strings] of outputs) {
      for (const raw of strings) {
        for (const form of decodedForms(raw)) {
          const text = normalizeForScan(form);
          for (let i = 0; i + PIECE_CHARS <= text.length; i++) {
            const label = this.pieces.get(text.slice(i, i + PIECE_CHARS));
            if (label === undefined) continue;
            leaks.push({ output, secret: label, context: contextOf(text, i, PIECE_CHARS) });
            if (leaks.length >= limit) return leaks;
            break;
          }
          for (const [value, label] of this.whole) {
            const at = text.indexOf(value);
            if (at === -1) continue;
            leaks.push({ output, secret: label, context: contextOf(text, at, value.length) });
            if (leaks.length >= limit) return leaks;
          }
        }
      }
    }
    return leaks;
  }
}

function contextOf(text: string, at: number, length: number): string {
  return `${text.slice(Math.max(0, at - 40), at)}<LEAK>${text.slice(at + length, at + length + 40)}`;
}
