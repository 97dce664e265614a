export { loadConfig, ConfigError, type Config, type ConfigSource } from "./load";
export { environmentDefaults } from "./defaults";
export * from "./schema";
