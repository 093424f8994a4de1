/**
 * A name -> factory registry for the trainer's plug-ins (encoders, blocks, amplifiers, injections,
 * heads, loss weightings). Adding a plug-in is one `register` call; an unknown name fails with a
 * message that lists the known names, so a typo in the experiment file is self-explaining.
 */
export class Registry<F> {
  private readonly factories = new Map<string, F>();

  /** @param kind what the registry holds, used in error messages (e.g. "encoder"). */
  constructor(readonly kind: string) {}

  /** Adds a factory; registering the same name twice is a programming error. */
  register(name: string, factory: F): this {
    if (this.factories.has(name)) throw new Error(`${this.kind} '${name}' is already registered`);
    this.factories.set(name, factory);
    return this;
  }

  has(name: string): boolean {
    return this.factories.has(name);
  }

  /** The factory for `name`; throws `unknown <kind> 'x' (known: a, b)` otherwise. */
  get(name: string): F {
    const f = this.factories.get(name);
    if (f === undefined) {
      throw new Error(`unknown ${this.kind} '${name}' (known: ${this.names().join(', ') || 'none'})`);
    }
    return f;
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.factories.keys()];
  }
}
