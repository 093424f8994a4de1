/**
 * Named trainable parameters. Every plug-in creates its weights through a `ParamScope`, which gives
 * each weight a stable path name (`tasks/slots/block1/W`) used by `getWeights()/setWeights()` and in
 * checkpoints, and draws its initial values from an Rng forked by that name: adding a task or an
 * arrow does not change how the other weights are initialised.
 *
 * tfjs variable names are global to the engine, so the tf.Variable itself gets an automatic name;
 * the path name lives here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../shared/rng';

/** A trainable variable with its path name. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
}

let uniqueCounter = 0;

/** See `ParamScope.labelRng`. */
class LabelForkRng extends Rng {
  constructor(private readonly base: Rng) { super(0); }
  override next(): number { return this.base.next(); }
  override fork(label: string): Rng { return this.base.fork(label.slice(label.lastIndexOf('/') + 1)); }
}

/** Creates and records named variables under a path prefix. */
export class ParamScope {
  /** Variables created through this scope and its children, in creation order. */
  readonly variables: NamedVariable[] = [];

  private constructor(
    /** Path of this scope (`tasks/slots/block1`). */
    readonly prefix: string,
    private readonly root: Rng,
    private readonly all: NamedVariable[],
    private readonly parent?: ParamScope,
    /** The path initial values are drawn by (the prefix, unless `scopeDrawnAs` says otherwise). */
    private readonly drawPrefix: string = prefix,
  ) {}

  /** A root scope; `seed` fixes every initial value. */
  static root(seed: number): ParamScope {
    return new ParamScope('', new Rng(seed).fork('init'), []);
  }

  /**
   * A globally unique tfjs variable name prefix for `prefix/sub`, for plug-ins (like `BiGru`) that
   * name their tf.Variables themselves: tfjs refuses two live variables with one name, and tests,
   * evaluation and ablations keep several models alive in one process.
   */
  uniqueName(sub: string): string {
    return `fmtl${++uniqueCounter}/${this.path(sub)}`;
  }

  /**
   * An Rng for a plug-in that forks per weight with `rng.fork(`${name}/${label}`)` (as `BiGru`
   * does): only the part after the last '/' picks the stream, so the initial values depend on the
   * path of the layer, never on the unique name from `uniqueName` (same seed => same weights, however
   * many models the process built before).
   */
  labelRng(sub: string): Rng {
    return new LabelForkRng(this.rng(sub));
  }

  /** Every variable created in the whole tree. */
  get allVariables(): readonly NamedVariable[] {
    return this.all;
  }

  /** A child scope `prefix/sub`. */
  scope(sub: string): ParamScope {
    return new ParamScope(this.path(sub), this.root, this.all, this, this.drawPrefix ? `${this.drawPrefix}/${sub}` : sub);
  }

  /**
   * A child scope `prefix/sub` whose weights draw their initial values as if they lived under
   * `drawnAs` (a root-level path): soft sharing's encoder copies `encoders/<task>` all start from
   * the values the one hard-shared `encoder` would get.
   */
  scopeDrawnAs(sub: string, drawnAs: string): ParamScope {
    return new ParamScope(this.path(sub), this.root, this.all, this, drawnAs);
  }

  /** An Rng private to the name `prefix/sub` (for plug-ins that initialise their own weights). */
  rng(sub: string): Rng {
    return this.root.fork(this.drawPrefix ? `${this.drawPrefix}/${sub}` : sub);
  }

  /** Glorot-uniform weight matrix [fanIn, fanOut]. */
  weight(sub: string, fanIn: number, fanOut: number): tf.Variable {
    const rng = this.rng(sub);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const v = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < v.length; i++) v[i] = (rng.next() * 2 - 1) * limit;
    return this.add(sub, tf.tensor2d(v, [fanIn, fanOut]));
  }

  /** Zero-initialised vector (biases, gate logits). */
  zeros(sub: string, n: number): tf.Variable {
    return this.add(sub, tf.zeros([n]));
  }

  /** One-initialised vector (layer-norm gains). */
  ones(sub: string, n: number): tf.Variable {
    return this.add(sub, tf.ones([n]));
  }

  /** Uniform(-scale, scale) tensor of any shape (embeddings). */
  uniform(sub: string, shape: number[], scale: number): tf.Variable {
    const rng = this.rng(sub);
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) v[i] = (rng.next() * 2 - 1) * scale;
    return this.add(sub, tf.tensor(v, shape));
  }

  /** Records a variable created elsewhere (e.g. by `BiGru`) under `prefix/sub`. */
  adopt(sub: string, variable: tf.Variable): tf.Variable {
    this.record({ name: this.path(sub), variable });
    return variable;
  }

  /** Makes `init` a trainable variable named `prefix/sub` (takes ownership of `init`). */
  private add(sub: string, init: tf.Tensor): tf.Variable {
    const variable = tf.variable(init, true);
    init.dispose();
    this.record({ name: this.path(sub), variable });
    return variable;
  }

  private record(nv: NamedVariable): void {
    if (this.all.some((x) => x.name === nv.name)) throw new Error(`duplicate parameter name '${nv.name}'`);
    this.all.push(nv);
    for (let s: ParamScope | undefined = this; s; s = s.parent) s.variables.push(nv);
  }

  private path(sub: string): string {
    return this.prefix ? `${this.prefix}/${sub}` : sub;
  }
}
