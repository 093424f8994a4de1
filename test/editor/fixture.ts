/** An experiment file with comments, tabs, inline objects and a trailing comment, as a user writes it. */
export const SAMPLE = `{
\t// SNIPS: intent + slots with feedback
\t"name": "snips-feedback",
\t"data": { "format": "slu", "path": "../data/snips" },
\t"encoder": { "type": "bigru", "embeddingDim": 64, "hidden": 64 },
\t"tasks": [
\t\t{
\t\t\t"id": "intent",
\t\t\t"kind": "classification",
\t\t\t"label": "label",
\t\t\t"blocks": [ { "type": "dense", "units": 64 } ]
\t\t},
\t\t{ "id": "slots", "kind": "tagging", "label": "seq.out", // per token
\t\t\t"blocks": [
\t\t\t\t{ "type": "bigru", "units": 64 },
\t\t\t\t{ "type": "dense", "units": 64, "activation": "relu" },
\t\t\t\t{ "type": "dense", "units": 32 }
\t\t\t] }
\t],
\t"feedback": [
\t\t{
\t\t\t"id": "intent_to_slots",
\t\t\t"from": "intent", "to": "slots",
\t\t\t"amplifier": { "type": "linear", "units": 16 },
\t\t\t"injection": "gumbel", "candidates": [1, 2, 3]
\t\t} // the paper's main arrow
\t],
\t"iterations": 2,
\t/* β, λ */
\t"convergence": { "beta": 0.5, "lambda": 0.1 },
\t"gumbel": { "tau0": 1, "tauMin": 0.1 },
\t"training": { "epochs": 3, "batchSize": 32, "optimizer": "adam", "learningRate": 0.001, "seed": 7,
\t\t"earlyStopping": { "metric": "slots.f1", "patience": 2 } },
\t"lossWeighting": { "type": "fixed" },
\t"layout": {
\t\t"nodes": {
\t\t\t"slots": { "x": 300, "y": 40 },
\t\t\t"slots/2": { "x": 300, "y": 200 },
\t\t\t"slots/3": { "x": 300, "y": 140 }
\t\t}
\t}
}
`;
