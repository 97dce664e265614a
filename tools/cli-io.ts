/** Where a CLI of this project writes, line by line: the process's streams, or a test's buffers. */
export interface CliIo {
  /** Standard output: the result, the usage. */
  out(line: string): void;
  /** Standard error: errors and notes. */
  err(line: string): void;
}

/** The process's own streams. */
export const consoleIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};
