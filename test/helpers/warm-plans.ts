/**
 * Run by `npm run test:unit` before the test files: plans the four stacks once, in one process,
 * into the run's PLATFORM_PLAN_CACHE, so that no two test files plan the same stack (they start
 * two at a time and would otherwise both miss the cache).
 */
import { EDGE_STACKS, planFor, STACKS } from "./program";

if (!process.env.PLATFORM_PLAN_CACHE) {
  console.error("warm-plans: PLATFORM_PLAN_CACHE is not set (npm run test:unit sets it)");
  process.exit(2);
}
const started = Date.now();
for (const stack of [...STACKS, ...EDGE_STACKS]) planFor(stack);
console.error(
  `warm-plans: ${STACKS.length + EDGE_STACKS.length} stacks planned in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(0);
