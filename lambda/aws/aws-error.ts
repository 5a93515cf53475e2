/** How an AWS error is described. */
export interface AwsErrorWording {
  /** What an error usually means, by AWS error name; a known name is described by its hint alone. */
  readonly hints?: Readonly<Record<string, string>>;
  /**
   * Said instead of the AWS message for an error without a hint. Set it where the message may
   * quote the response (a Secrets Manager error can quote the secret); without it the message is kept.
   */
  readonly withoutMessage?: (name: string) => string;
}

/** The AWS error's name when it looks like one (`ThrottlingException`), else `UnknownError`. */
export function readAwsErrorName(error: unknown): string {
  const name = error instanceof Error ? error.name : undefined;
  return name && /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(name) ? name : 'UnknownError';
}

/** `<AWS error name>: <hint, or the AWS message on one line, at most 200 characters>`. */
export function describeAwsError(error: unknown, wording: AwsErrorWording = {}): string {
  const name = readAwsErrorName(error);
  const hint = wording.hints?.[name];
  if (hint !== undefined) return `${name}: ${hint}`;
  if (wording.withoutMessage) return `${name}: ${wording.withoutMessage(name)}`;
  const message = error instanceof Error ? error.message.replace(/\s+/g, ' ').trim() : '';
  return message ? `${name}: ${message.length > 200 ? `${message.slice(0, 199)}…` : message}` : name;
}
