/**
 * A `node --test` reporter used by test/run.ts beside the spec reporter: for every top-level test or
 * suite that ended, one JSON line `{ "file": ..., "ms": ... }`. The runner adds them up per test
 * file and balances the next run's groups with them. Plain JavaScript: node:test loads reporters
 * without tsx's hooks.
 *
 * @param {AsyncIterable<{ type: string, data: { nesting?: number, file?: string, details?: { duration_ms?: number } } }>} source
 */
export default async function* durations(source) {
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { nesting, file, details } = event.data;
    if (nesting === 0 && file && details?.duration_ms !== undefined)
      yield `${JSON.stringify({ file, ms: details.duration_ms })}\n`;
  }
}
