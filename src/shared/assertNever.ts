/** Exhaustiveness check for `switch` over a message union: a new message kind fails to compile here. */
export function assertNever(x: never, what = 'message'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(x)}`);
}
