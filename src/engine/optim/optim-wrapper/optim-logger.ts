// Where optimizer wrappers and constructors send their log lines (MMEngine's print_log(logger='current')).
//
// The engine's MMLogger has `info` and `warning` methods, so the Runner passes its logger
// as is; until then, warnings go to process.emitWarning and info lines are dropped (the
// per-parameter 'paramwise_options -- ...' lines would flood a terminal).

export interface OptimLogger {
  info(message: string): void;
  warning(message: string): void;
}

export const defaultOptimLogger: OptimLogger = {
  info: () => {},
  warning: (message) => process.emitWarning(message, { type: 'SegkitWarning' }),
};

/** What the wrappers write scalars to: the Runner's MessageHub (`train/grad_norm`). */
export interface ScalarSink {
  updateScalar(key: string, value: number): void;
}
