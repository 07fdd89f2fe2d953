// Every hook of segkit's engine; importing this registers them all in HOOKS.
export { Hook, HOOK_POINTS, type HookPoint, type Mode, type Metrics, type Checkpoint } from './hook.js';
export { PRIORITIES, getPriority, priorityName, type Priority, type PriorityName } from './priority.js';
export * from './runtime-info-hook.js';
export * from './iter-timer-hook.js';
export * from './logger-hook.js';
export * from './param-scheduler-hook.js';
export * from './checkpoint-hook.js';
export * from './early-stopping-hook.js';
export * from './ema-hook.js';
export * from './empty-cache-hook.js';
export * from './sync-buffers-hook.js';
export * from './dist-sampler-seed-hook.js';
export * from './progress-bar-hook.js';
