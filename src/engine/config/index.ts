// The config API: load (with _base_, --cfg-options), read, print and dump configs; type them.
export { Config, displayPath, type ConfigInit } from './config.js';
export { loadConfig, BASE_KEY, type LoadConfigOptions } from './load-config.js';
export { parseCfgOptions, parseCfgValue, applyCfgOptions, CFG_OPTIONS_SOURCE } from './cfg-options.js';
export { defineConfig, base, baseRefPath } from './define-config.js';
export type * from './config-types.js';
export { topLevelSchema, validateConfig } from './config-schema.js';
export { mergeConfig, DELETE_KEY } from './merge.js';
export { registerConfigReader, type ConfigReader } from './read-config-file.js';
export { KeySources } from './key-sources.js';
export { ConfigError, parseOptions, withKeyPath, formatKeyPath, type KeyPath } from './errors.js';
export { isPlainObject, type ConfigDict } from './values.js';
// Reads MMEngine's classic Python configs (.py) without Python.
import './python/read-python-config.js';
