/** One structured log line: a level, a message, and any fields that help (never a secret value). */
export type LogEntry = { readonly level: 'INFO' | 'WARN' | 'ERROR'; readonly message: string } & Readonly<Record<string, unknown>>;

/** Where log lines go. */
export type Logger = (entry: LogEntry) => void;
