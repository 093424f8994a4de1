/**
 * An error in the user's data, with the place it points at (`file:line`, or `file` and a column).
 * The trainer turns it into a `run/error` event whose `where` is this `where`; the message already
 * names the place too, so it reads well on its own.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(message: string, readonly where?: string) {
    super(message);
  }
}
