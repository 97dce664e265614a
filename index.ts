import * as aws from "@pulumi/aws";
import { loadConfig } from "./config";
import { platformTags } from "./components/tags";

const config = loadConfig();

const awsProvider = new aws.Provider("aws", {
  region: config.region as aws.Region,
  defaultTags: { tags: platformTags(config) },
});

export const region = config.region;
export const environment = config.environment;
export const providerUrn = awsProvider.urn;
