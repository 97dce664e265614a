/**
 * How the plan fails loudly on an error inside the program, whichever way the SDK delivers it.
 *
 * An error thrown synchronously by the program rejects what captureProgram awaits. An error inside an
 * `apply` or `pulumi.all(...).apply` callback, a rejected promise given as an input, a failed invoke, a
 * failed mock registration or an async component's `initialize` does not: the SDK rejects the
 * registration of each resource whose inputs needed the value (runtime/resource.js registerResource
 * rethrows it from a promise nobody holds). That resource is left out of the plan, outputs that depend
 * on it never resolve, and the process ends on the SDK's promise-leak notice, or with Node's crash dump.
 *
 * The Pulumi language host fails the run on exactly these with process-wide `unhandledRejection` and
 * `uncaughtException` handlers (@pulumi/pulumi cmd/run/run.js). The plan does the same, here and only
 * here, and also notices a program that stalls: Node's event loop empties while the program has not
 * returned (`beforeExit`), where the real engine would wait forever.
 */

import * as pulumi from "@pulumi/pulumi";

/** The prefix the SDK adds to an error each time a resource's inputs fail on it (runtime/rpc.js serializeAllKeys). */
const SERIALIZING_PREFIX = /^(?:error serializing property "[^"]*": )+/;

/**
 * The message the program's code gave its error. The SDK prefixes the same error object with
 * `error serializing property "<key>": ` once per resource input that awaited it (even from different
 * resources), so the prefixes say nothing reliable; DEBUG=1 still shows them with the stack.
 */
export function ownMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(SERIALIZING_PREFIX, "");
}

export const STALLED =
  "the program stopped before returning its outputs: it awaits a promise or an output that nothing will settle " +
  "(a resource whose registration never completes, or a promise never resolved)";

export interface ProgramWatch {
  /** Races `work` against the program's first error anywhere in the process, or its stall. */
  race<T>(work: Promise<T>): Promise<T>;
  /**
   * Counts a resource's asynchronous work as the program's: a component's `initialize` runs on after
   * its constructor returned, and the stack's outputs need not wait for it (the real language host
   * waits for the process to go idle; the plan waits for each component's data instead).
   */
  track(resource: pulumi.Resource): void;
  /**
   * After the program's outputs resolved and its registrations settled: waits for the tracked
   * components, then throws the first error the program raised meanwhile (a resource left out of
   * the plan), else stops watching.
   */
  finish(): Promise<void>;
}

/**
 * Watches the process for errors the program raised where nothing awaits them, from now until
 * `finish`. `pending` names the resources the program created and never registered (their inputs
 * are still unresolved), for the stall's message. After a failure the handlers stay: the same error
 * keeps surfacing from every resource that needed it, and the plan must end on one line with its
 * own exit code, not a crash dump.
 */
export function watchProgram(pending: () => string[] = () => []): ProgramWatch {
  const errors: unknown[] = [];
  const components: Promise<unknown>[] = [];
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined); // Only raced; a failure nobody races is reported by `finish`.
  const onError = (error: unknown): void => {
    if (errors.includes(error)) return;
    errors.push(error);
    fail(error);
  };
  const onStall = (): void => {
    const waiting = pending();
    const more = waiting.length > 5 ? ` and ${waiting.length - 5} more` : "";
    fail(
      new Error(
        waiting.length > 0 ? `${STALLED}; never registered: ${waiting.slice(0, 5).join(", ")}${more}` : STALLED,
      ),
    );
  };
  process.on("unhandledRejection", onError);
  process.on("uncaughtException", onError);
  process.on("beforeExit", onStall);
  const race = <T>(work: Promise<T>): Promise<T> => Promise.race([work, failed]);
  return {
    race,
    track(resource) {
      // Called from the resource's constructor, before a component marks itself as one and assigns
      // its data: look a turn later, when the constructor has returned.
      components.push(
        Promise.resolve().then(() =>
          pulumi.ComponentResource.isInstance(resource) ? componentData(resource) : undefined,
        ),
      );
    },
    async finish() {
      // Components created while others initialise join the list; wait until it stops growing.
      for (let waited = 0; waited < components.length;) {
        const batch = components.slice(waited);
        waited = components.length;
        await race(Promise.all(batch));
      }
      // The last registrations' rejections are rethrown in the SDK's own promise chains; Node
      // reports them as unhandled once the current turn's microtasks are done.
      await new Promise((resolve) => setImmediate(resolve));
      if (errors.length > 0) throw errors[0];
      process.off("unhandledRejection", onError);
      process.off("uncaughtException", onError);
      process.off("beforeExit", onStall);
    },
  };
}

/** What a component's `initialize` resolves to: the SDK's own accessor, protected only for TypeScript. */
function componentData(component: pulumi.ComponentResource): Promise<unknown> {
  return (component as unknown as { getData(): Promise<unknown> }).getData();
}

/**
 * A mock `call` that throws reaches the program as an empty message: the SDK builds the invoke's
 * error from the gRPC error's `details` (runtime/invoke.js), which a plain Error lacks. This keeps
 * the message and names the invoke, as a provider's own error would.
 */
export function asInvokeError(token: string, error: unknown): Error & { details: string } {
  const details = `invoke ${token}: ${ownMessage(error)}`;
  const invokeError = Object.assign(new Error(details), { details });
  if (error instanceof Error && error.stack) invokeError.stack = `${details}\n${error.stack}`;
  return invokeError;
}
