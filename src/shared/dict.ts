/**
 * Records keyed by user ids (task and arrow ids, CSV columns). A `{}` literal inherits
 * `Object.prototype`, so a task called `constructor`, `toString` or `valueOf` reads an inherited
 * function instead of `undefined`, and `__proto__` assigns the prototype instead of a key. A record
 * without a prototype has none of these: every id is a plain key, and it still serialises as JSON
 * (which is why the events keep records rather than `Map`s).
 */

/** An empty record without a prototype. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `Object.fromEntries` into a record without a prototype. */
export function dictFrom<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const out = dict<T>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/**
 * An ordinary-object copy of a record built with {@link dict}, for records that leave as events or
 * messages (JSON, structured clone and deep equality then see plain objects). Spreading defines own
 * properties, so a `__proto__` key stays a key.
 */
export function plain<T>(rec: Record<string, T>): Record<string, T> {
  return { ...rec };
}
