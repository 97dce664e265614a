import { execFile } from "node:child_process";

/** What one request of `curlEach` got: the status (0 without an HTTP answer) and the response's header lines. */
export interface CurlAnswer {
  status: number;
  /** Header names in lower case, each with its values, from the final response (not a 100 Continue). */
  headers: Record<string, string[]>;
}

const END = "--curl-each-end--";

/**
 * Several requests through one curl process instead of one each: `--next` between them, so each
 * keeps only its own options (method, data, headers) and is a request of its own; curl writes
 * each response's headers (-D -) and status (-w) in order, which are split back here. Bodies are
 * discarded. Asynchronous: a stub the requests reach may answer from this process's event loop.
 */
export function curlEach(curl: string, requests: string[][]): Promise<CurlAnswer[]> {
  const args = requests.flatMap((request, i) => [
    ...(i > 0 ? ["--next"] : []),
    "-s",
    "-o",
    "/dev/null",
    "-D",
    "-",
    "-w",
    `\n%{http_code}${END}\n`,
    ...request,
  ]);
  return new Promise((resolve, reject) => {
    execFile(curl, args, { encoding: "latin1", maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      // curl's exit code is its last transfer's: a refused connection is a status 0 below, not an error here.
      if (error && typeof error.code !== "number") return reject(error);
      const parts = stdout.split(new RegExp(`\\n(\\d{3})${END}\\n`));
      const answers: CurlAnswer[] = [];
      for (let i = 0; i + 1 < parts.length; i += 2) answers.push(answerOf(parts[i] ?? "", Number(parts[i + 1])));
      if (answers.length !== requests.length)
        return reject(new Error(`curl answered ${answers.length} of ${requests.length} requests:\n${stdout}`));
      resolve(answers);
    });
  });
}

function answerOf(head: string, status: number): CurlAnswer {
  // The last response block: a 100 Continue comes first when curl sent Expect.
  const blocks = head.split(/\r\n\r\n/).filter((b) => /^HTTP\//.test(b.trimStart()));
  const lines = (blocks.at(-1) ?? "").trimStart().split("\r\n").slice(1);
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) (headers[line.slice(0, colon).toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
  }
  return { status, headers };
}
