// Hook priorities as MMEngine's: a smaller number runs earlier.
import { ConfigError, type KeyPath } from '../config/errors.js';

export const PRIORITIES = {
  HIGHEST: 0,
  VERY_HIGH: 10,
  HIGH: 30,
  ABOVE_NORMAL: 40,
  NORMAL: 50,
  BELOW_NORMAL: 60,
  LOW: 70,
  VERY_LOW: 90,
  LOWEST: 100,
} as const;

export type PriorityName = keyof typeof PRIORITIES;
export type Priority = PriorityName | number;

/** 'NORMAL' -> 50; integers 0..100 pass through; anything else is a ConfigError at `keyPath`. */
export function getPriority(priority: unknown, keyPath: KeyPath = ['priority']): number {
  if (typeof priority === 'number') {
    if (Number.isInteger(priority) && priority >= 0 && priority <= 100) return priority;
    throw new ConfigError(keyPath, `expected an integer in 0..100, got ${priority}`);
  }
  if (typeof priority === 'string') {
    const upper = priority.toUpperCase();
    if (upper in PRIORITIES) return PRIORITIES[upper as PriorityName];
    throw new ConfigError(keyPath, `expected one of ${Object.keys(PRIORITIES).join(', ')} or an integer 0..100, got "${priority}"`);
  }
  throw new ConfigError(keyPath, `expected a priority name or an integer 0..100, got ${JSON.stringify(priority)}`);
}

/** The name MMEngine prints for a priority value (e.g. 50 -> 'NORMAL'), or the number. */
export function priorityName(value: number): string {
  const entry = Object.entries(PRIORITIES).find(([, v]) => v === value);
  return entry ? entry[0] : String(value);
}
