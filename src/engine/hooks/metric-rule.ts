// "Is this metric better?": the greater/less rule, inferred from a metric's name as MMEngine does,
// shared by CheckpointHook's save_best and EarlyStoppingHook.

export type Rule = 'greater' | 'less';
export const RULES: readonly Rule[] = ['greater', 'less'];

/** MMEngine's `_default_greater_keys`: metrics where a larger value is better. */
export const DEFAULT_GREATER_KEYS: readonly string[] = ['acc', 'top', 'AR@', 'auc', 'precision', 'mAP', 'mDice', 'mIoU', 'mAcc', 'aAcc'];
/** MMEngine's `_default_less_keys`: metrics where a smaller value is better. */
export const DEFAULT_LESS_KEYS: readonly string[] = ['loss'];

/**
 * The rule for `key`, matching case-insensitively in MMEngine's order: an exact greater key, an
 * exact less key, then a greater key inside `key`, then a less key inside it. Null when none
 * matches (the caller then needs an explicit rule).
 */
export function inferRule(key: string, greaterKeys: readonly string[] = DEFAULT_GREATER_KEYS,
  lessKeys: readonly string[] = DEFAULT_LESS_KEYS): Rule | null {
  const lc = key.toLowerCase();
  const greater = greaterKeys.map((k) => k.toLowerCase());
  const less = lessKeys.map((k) => k.toLowerCase());
  if (greater.includes(lc)) return 'greater';
  if (less.includes(lc)) return 'less';
  if (greater.some((k) => lc.includes(k))) return 'greater';
  if (less.some((k) => lc.includes(k))) return 'less';
  return null;
}

/** Whether `value` beats `than` under `rule` (strictly: a tie is no improvement). */
export function isBetter(rule: Rule, value: number, than: number): boolean {
  return rule === 'greater' ? value > than : value < than;
}

/** The starting best score, beaten by any finite value (MMEngine's init_value_map). */
export function worstValue(rule: Rule): number {
  return rule === 'greater' ? -Infinity : Infinity;
}

/** A metric value as a number: numbers and one-element tensors (`item()`); anything else is an error naming `where`. */
export function metricNumber(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { item?: unknown }).item === 'function') {
    return (value as { item(): number }).item();
  }
  throw new TypeError(`${where}: expected a number, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
}
