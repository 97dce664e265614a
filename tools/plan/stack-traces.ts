/**
 * Stack traces are the costliest thing a plan computes that nobody reads. The SDK records one for
 * every promise it makes (runtime/debuggable.js, for its promise-leak report) and formats it at
 * once: about 0.4 s of CPU in a plan of prod, a sixth of the whole run. The plan prints a stack
 * only with DEBUG=1, and the SDK prints its promises' stacks only with PULUMI_DEBUG_PROMISE_LEAKS;
 * otherwise errors keep their message (the first line of `stack` too) and lose only the frames.
 * Source maps go with them: tsx maps every frame through the TypeScript source.
 */

/** Whether something will print a stack trace this run: DEBUG=1, or the SDK's promise-leak debugging. */
export function stackTracesWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DEBUG === "1" || Boolean(env.PULUMI_DEBUG_PROMISE_LEAKS);
}

/**
 * Runs the program without recording stack traces or mapping them through source maps unless
 * they are wanted, and restores both settings afterwards (the tests' in-process planner shares
 * its thread with nothing else). Modules first loaded meanwhile keep no source map.
 */
export async function withoutStackTraces<T>(work: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  if (stackTracesWanted(env)) return work();
  const limit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  Error.stackTraceLimit = 0;
  // The SDK still takes each resource's call site, with a stack of its own limit: left unmapped.
  if (sourceMaps) process.setSourceMapsEnabled(false);
  try {
    return await work();
  } finally {
    Error.stackTraceLimit = limit;
    if (sourceMaps) process.setSourceMapsEnabled(true);
  }
}

/** For a process that only plans (the CLI): no stack traces and no source maps from its first import on. */
export function skipStackTracesInThisProcess(): void {
  if (stackTracesWanted()) return;
  process.setSourceMapsEnabled(false);
  Error.stackTraceLimit = 0;
}
