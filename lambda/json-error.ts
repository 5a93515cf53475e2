/**
 * Where and why `text` is not valid JSON, as `line L, column C: <reason>`; `undefined` when it is
 * valid. Found by a scan of its own, because the parser's message varies across Node versions and
 * may quote the text around the error.
 */
export function locateJsonError(text: string): string | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipBlank();
    scanner.value();
    scanner.skipBlank();
    if (scanner.at < text.length) scanner.fail('unexpected text after the JSON value');
    return undefined;
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const before = text.slice(0, error.at);
    const line = before.split('\n').length;
    const column = error.at - before.lastIndexOf('\n');
    return `line ${line}, column ${column}: ${error.reason}`;
  }
}

class JsonSyntaxError extends Error {
  constructor(
    readonly at: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

class Scanner {
  at = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new JsonSyntaxError(this.at, reason);
  }

  skipBlank(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at++;
  }

  /** One value, its containers tracked on a list rather than the call stack, so no depth of nesting overflows it. */
  value(): void {
    const open: ('}' | ']')[] = [];
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) this.fail('the JSON ends too early');
      if (c === '{' || c === '[') {
        const close = c === '{' ? '}' : ']';
        this.at++;
        this.skipBlank();
        if (this.text[this.at] !== close) {
          open.push(close);
          if (close === '}') this.member();
          continue;
        }
        this.at++;
      } else if (c === '"') this.string();
      else this.literal(c);
      // A value ended: close every container that ends here, up to one that goes on with ",".
      for (;;) {
        const close = open.at(-1);
        if (close === undefined) return;
        this.skipBlank();
        const next = this.text[this.at];
        if (next === close) {
          this.at++;
          open.pop();
          continue;
        }
        if (next !== ',') this.fail(next === undefined ? 'the JSON ends too early' : `expected "," or "${close}"`);
        this.at++;
        if (close === '}') this.member();
        else this.skipBlank();
        break;
      }
    }
  }

  private literal(c: string): void {
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.at))?.[0];
    if (!literal) this.fail(`unexpected ${JSON.stringify(c)} where a value should be`);
    this.at += literal.length;
  }

  /** A property name and its ":", up to where the property's value starts. */
  private member(): void {
    this.skipBlank();
    if (this.text[this.at] !== '"') this.fail('expected a "quoted" property name (a trailing comma?)');
    this.string();
    this.skipBlank();
    if (this.text[this.at] !== ':') this.fail('expected ":" after the property name');
    this.at++;
    this.skipBlank();
  }

  private string(): void {
    this.at++;
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) this.fail('a string is not closed');
      if (c === '"') {
        this.at++;
        return;
      }
      if (c === '\n') this.fail('a line break inside a string (write \\n)');
      // JSON.parse refuses every control character in a string, not only the line break.
      if (c < ' ') this.fail('a control character inside a string (write it escaped, e.g. \\t)');
      if (c === '\\') {
        const escaped = /^\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.exec(this.text.slice(this.at))?.[0];
        if (!escaped) this.fail('an invalid escape in a string');
        this.at += escaped.length;
      } else this.at++;
    }
  }
}
