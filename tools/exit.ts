/**
 * Exits once stdout and stderr are flushed: `process.exit` drops what a pipe has not taken yet,
 * which cut `plan --json | jq` off at 64 KiB. (The SDK keeps handles open, so the process must
 * still exit explicitly.)
 */
export function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
