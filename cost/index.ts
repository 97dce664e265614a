export { estimateCost } from "./estimate";
export { compareCost, costFromPlanJson, type CostDiff, type CostLineDiff, type CostSummary } from "./compare";
export { renderCost, renderCostDiff } from "./render";
export { PRICES, HOURS_PER_MONTH, pricesFor, type Price, type RegionPrices } from "./prices";
export { FREE_PACKAGES, FREE_TYPES, freeReason } from "./free";
export type { CostEstimate, CostLine, CostResource, CostUsage, EstimateOptions, UnpricedResource } from "./types";
