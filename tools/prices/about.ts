/** The "about" text at the top of cost/prices.json. */
export const ABOUT =
  "On-demand list prices (USD) the cost estimate uses, per AWS region. Written by npm run prices:update " +
  "(docs/cost.md): each figure has its unit, the date it was taken and its source; a figure with a query is " +
  "refreshed from the AWS Price List API (pricing:GetProducts) by that query, and says so in its source once it has been. " +
  "Figures without a query are assumptions or documented zeros and are kept as they are. cost/prices.ts checks this file when it loads.";
