/**
 * The plan in a worker thread of a test file's process (see runPlanInProcess in program.ts): the
 * SDK and the program load once per test file instead of once per plan. Each request is the CLI's
 * argv; the answer is what the CLI would have printed and its exit code.
 */
import { type MessagePort, workerData } from "node:worker_threads";
import { runPlan } from "../../tools/plan/run";

interface Channel {
  port: MessagePort;
  /** [0] is set to 1 and notified when an answer is posted: the test's thread waits on it. */
  signal: Int32Array;
}

const { port, signal } = workerData as Channel;

function answer(message: { status: number; stdout: string; stderr: string }): void {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

// An error that escapes the plan while it runs ends it as it would end the CLI's process (exit 1,
// the error on stderr), so the waiting test gets an answer instead of hanging. One that arrives
// after the answer belongs to a plan the CLI would already have exited from: it is dropped.
let busy = false;
const crash = (error: unknown) => {
  if (!busy) return;
  busy = false;
  answer({ status: 1, stdout: "", stderr: error instanceof Error ? (error.stack ?? error.message) : String(error) });
};
process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

port.on("message", (argv: string[]) => {
  busy = true;
  let stdout = "";
  let stderr = "";
  const io = {
    out: (line: string) => (stdout += `${line}\n`),
    err: (line: string) => (stderr += `${line}\n`),
    width: 160,
  };
  runPlan(argv, io).then((status) => {
    if (!busy) return;
    busy = false;
    answer({ status, stdout, stderr });
  }, crash);
});
