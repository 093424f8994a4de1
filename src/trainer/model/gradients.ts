/**
 * Registers tfjs-core's gradient functions (the `@tensorflow/tfjs` umbrella does this; tfjs-core
 * alone does not, and every `variableGrads` would fail with "gradient function not found").
 *
 * Imported by a relative path on purpose: the file is an extension-less ES module that Node cannot
 * `require`, so it must be bundled — and the test build keeps bare package imports external. In the
 * product bundle this resolves to the same files as `@tensorflow/tfjs-core`, so nothing is duplicated.
 */
import '../../../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients';
