import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../../config";
import { emitArtifacts } from "./emit";
import { captureProgram, PROJECT_DIR } from "./capture";
import { renderOutputs, renderTree, toJson } from "./render";
import { readStackConfig } from "./stack-config";

const USAGE = `usage: npm run plan -- --stack NAME [--json] [--emit DIR] [--config-dir DIR]

Runs the program under the Pulumi SDK's mocks with the stack's configuration
(Pulumi.yaml, then Pulumi.NAME.yaml) and prints what it would register.
--emit writes what the program renders (nginx config, scripts, rules, dashboards) under DIR.
--config-dir reads Pulumi.yaml and the stack file from DIR instead of the project.
Exit codes: 0 planned, 2 invalid configuration, 1 anything else.`;

export const EXIT_INVALID_CONFIG = 2;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: "string", short: "s" }, json: { type: "boolean" },
      "config-dir": { type: "string" },
      emit: { type: "string" },
      help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help || !values.stack) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 1;
  }
  const config = readStackConfig(values["config-dir"] ?? PROJECT_DIR, values.stack);
  try {
    const capture = await captureProgram(config);
    if (values.emit) {
      const written = emitArtifacts(values.emit, loadConfig({ values: config.values, project: config.project, stack: config.stack }));
      console.error(`wrote ${written.length} files under ${values.emit}`);
    }
    if (values.json) console.log(JSON.stringify(toJson(capture), null, 2));
    else console.log([renderTree(capture), renderOutputs(capture)].filter(Boolean).join("\n\n"));
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Stack ${values.stack}: ${error.message}`);
      return EXIT_INVALID_CONFIG;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
