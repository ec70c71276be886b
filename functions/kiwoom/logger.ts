// The logging surface the Kiwoom adapter needs; Powertools' Logger fits it.
// Nothing here ever receives a token, an app key or a secret key.

// The rest parameter (rather than `extra?: object`) is what lets Powertools'
// `(input, ...extraInput: [Error | string] | LogAttributes[])` satisfy it.
export type LogFields = Record<string, unknown>;

export interface KiwoomLogger {
  debug(message: string, ...extra: LogFields[]): void;
  info(message: string, ...extra: LogFields[]): void;
  warn(message: string, ...extra: LogFields[]): void;
  error(message: string, ...extra: LogFields[]): void;
}

export const silentLogger: KiwoomLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
