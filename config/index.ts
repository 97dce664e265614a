export {
  loadConfig,
  ConfigError,
  type AlertingConfig,
  type CloudConfig,
  type CloudMonitoringConfig,
  type CloudStackRef,
  type Config,
  type ConfigSource,
  type EdgeConfig,
  type EdgeStackConfig,
} from "./load";
export { environmentDefaults } from "./defaults";
export * from "./schema";
