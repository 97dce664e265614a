// Imported first by the plan's CLI, so that nothing it loads records stack traces or reads source
// maps unless DEBUG=1 (see stack-traces.ts).
import { skipStackTracesInThisProcess } from "./stack-traces";

skipStackTracesInThisProcess();
