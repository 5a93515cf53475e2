/** A configuration that cannot be used; `problems` holds one `path: what is wrong` line each. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    source = 'config',
  ) {
    super(`Invalid ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The exchange did not answer in time. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly timeoutMs: number,
  ) {
    super(`Request timed out after ${timeoutMs} ms: ${method} ${path}`);
  }
}

/** The request never got an HTTP answer (DNS, refused, reset, TLS). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly method: string,
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Request failed: ${method} ${path}: ${detail}`, options);
  }
}

/** The run's deadline passed before the work was done. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(what: string) {
    super(`Run deadline reached before ${what}`);
  }
}
