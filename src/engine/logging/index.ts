// Logging: history buffers, the message hub, the logger and the log processor (MMEngine's mmengine.logging + LogProcessor).
export { HistoryBuffer, DEFAULT_MAX_LENGTH, STATISTIC_METHODS, type HistoryBufferState, type StatisticMethod } from './history-buffer.js';
export {
  MessageHub, DEFAULT_INSTANCE_NAME, type MessageHubInit, type MessageHubState, type ScalarLike, type ScalarRecord,
} from './message-hub.js';
export {
  MMLogger, printLog, buildRunLogger, runTimestamp, toLevelNumber, LOG_LEVELS, DEFAULT_LOGGER_NAME,
  type LogLevel, type LogLevelName, type MMLoggerOptions, type RunLoggerOptions,
} from './logger.js';
export {
  LogProcessor, logProcessorSchema, type LogRunnerView, type LogMode, type LogProcessorOptions, type CustomLogCfg,
  type IterLog, type EpochLog,
} from './log-processor.js';
export { formatFixed, formatExp, formatTimedelta, pyRepr } from './py-format.js';
