/**
 * A script, run as its own process by test/plan-errors.test.ts: plans several failing programs in
 * turn, in one process, so the SDK is loaded once instead of once per program (about 2.5 s of CPU
 * each). Each program ends exactly as the plan CLI ends one: captureProgram, then reportError
 * (tools/plan/cli.ts through run.ts); a `cli` item is the CLI's own runPlan with its argv.
 *
 * Everything the process writes to stdout or stderr while an item runs (and while the process
 * settles after it) is that item's: the SDK's noise and Node's warnings are counted against it. One
 * JSON line per item goes to the real stdout. The LAST item's exit code is the process's, through
 * exitAfterFlush as in cli.ts: whatever Node or the SDK writes at exit (the promise-leak notice),
 * and all an item wrote if the process ended inside it (a crash dump, an emptied event loop), lands
 * outside every item, on the process's own stderr.
 *
 * Usage: node --import tsx test/helpers/failing-programs.ts '<JSON list of FailingProgramItem>'
 */
// First, as in the plan's CLI: no stack traces or source maps unless DEBUG=1.
import "../../tools/plan/no-stack-traces";
import { exitAfterFlush } from "../../tools/exit";
import { captureProgram, PROJECT_DIR } from "../../tools/plan/capture";
import { EXIT, reportError } from "../../tools/plan/errors";
import { runPlan } from "../../tools/plan/run";
import { readStackConfig } from "../../tools/plan/stack-config";
import { RESULT_PREFIX, type FailingProgramItem, type FailingProgramResult } from "./failing-programs-protocol";

const write = {
  out: process.stdout.write.bind(process.stdout),
  err: process.stderr.write.bind(process.stderr),
};

/** What the running item has written so far: set while an item runs. */
let current: { stdout: string; stderr: string } | undefined;

function restoreStreams(): void {
  process.stdout.write = write.out;
  process.stderr.write = write.err;
}

// A process that ends while an item runs (a crash, or an event loop that emptied) must not take
// that item's output with it: it goes to the process's own streams, with whatever Node and the SDK
// write at exit after it (the promise-leak notice, a crash dump), where the test sees it.
process.on("exit", () => {
  if (!current) return;
  restoreStreams();
  write.out(current.stdout);
  write.err(current.stderr);
});

/** Runs `work` with the process's stdout and stderr captured, then lets late errors surface while still capturing. */
async function captured(work: () => Promise<number>): Promise<Omit<FailingProgramResult, "index">> {
  const output = { stdout: "", stderr: "" };
  current = output;
  const into =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
      const done = rest.find((r): r is () => void => typeof r === "function");
      if (done) process.nextTick(done);
      return true;
    };
  process.stdout.write = into((t) => (output.stdout += t)) as typeof process.stdout.write;
  process.stderr.write = into((t) => (output.stderr += t)) as typeof process.stderr.write;
  const started = Date.now();
  try {
    const status = await work();
    const ms = Date.now() - started;
    // The same error keeps surfacing from every resource that needed it for a few turns: let it
    // surface now, counted against this item, rather than during the next one.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    return { status, ...output, ms };
  } finally {
    current = undefined;
    restoreStreams();
  }
}

function runItem(item: FailingProgramItem): Promise<number> {
  if ("cli" in item) return runPlan(item.cli);
  return captureProgram(readStackConfig(PROJECT_DIR, "dev"), {}, item.program).then(
    () => EXIT.planned,
    (error: unknown) => reportError(error, "dev"),
  );
}

async function main(items: FailingProgramItem[]): Promise<number> {
  // A failed program's watch keeps its process handlers (tools/plan/program-errors.ts: the error
  // keeps surfacing), one set per program: harmless in the CLI, which plans one program (two for an
  // edge stack) per process, but Node warns past 10 listeners. This process plans them all, by design.
  process.setMaxListeners(10 + 2 * items.length);
  let status: number = EXIT.internal;
  for (const [index, item] of items.entries()) {
    const result = await captured(() => runItem(item));
    write.out(`${RESULT_PREFIX}${JSON.stringify({ index, ...result })}\n`);
    status = result.status;
  }
  return status;
}

const [spec] = process.argv.slice(2);
if (!spec) {
  console.error("usage: failing-programs.ts '<JSON list of items>'");
  process.exit(EXIT.usage);
}
void main(JSON.parse(spec) as FailingProgramItem[]).then((status) => exitAfterFlush(status));
