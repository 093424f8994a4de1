#!/usr/bin/env python3
"""PyTorch twin of samples/snips-quality.fmtl.json (Gumbel variant), for `npm run bench`.

The same model, sizes, initialisation scheme, losses, schedule and optimiser as the TypeScript
trainer (src/trainer/model/*), trained on the exact batches our trainer sees (dumped by
bench/trainBench.ts with the experiment as it ran; the sizes below are read from that, the structure
is checked against it):

  words: embedding V x 128 (uniform +-0.05); word dropout 0.1 to <unk>: the ids after OUR draw of
         each step (dumped), so both see the same <unk>s
  chars: embedding 90 x 32 (uniform +-0.05), characters past a word's end zeroed, conv width 3
         ("same" padding) -> 64 filters (Glorot-uniform weight, zero bias), max over the word's
         real characters, tanh; concatenated to the word embedding (192)
  encoder: dropout 0.3, BiGRU 128 over packed sequences (PyTorch's GRU = ours), dropout 0.3;
           sentence vector [masked mean | masked max] (512)
  intent tower: dense 128 relu, dense 128 relu, linear head (+ 32-wide feedback at each block)
  slots tower:  BiGRU 64 (input 256 + 32 feedback), dense 128 relu, linear emissions, linear-chain
                CRF (transitions, start, end; zeros at first): NLL by the forward algorithm,
                summed over sentences / real tokens
  feedback intent -> slots: label embedding (7 x 32, no bias), repeated over tokens;
           slots -> intent: linear (72 -> 32) per token (softmax of the emissions), masked mean;
           each arrow Gumbel-gated (soft) over both blocks of its target (zero logits at first)
  K = 3: pass 0 without feedback, passes 1..3 with the previous pass's probabilities
  loss: CE(intent) + CRF NLL on pass K
        + lambda * sum_tasks sum_{k>=startK} beta^(K-k) * mean_b ||y^(k+1) - y^k||_F
  dropout masks: only the encoder has dropout; it runs once per step, so its masks are shared by
  every feedback pass (dropoutMasks "shared")
  Adam (eps 1e-7 as tfjs), lr 1e-3 x linear warm-up over 200 steps, then linear decay to 0.1 x
  over 30 epochs; gradients clipped to global norm 5; tau annealed exp 1 -> 0.1 over 8 epochs.

By default the twin starts from OUR initial weights (dumped beside the batches, loaded by name),
so the training losses differ only by the dropout and Gumbel draws; first it evaluates the eval-mode
objective on batch 0 (no dropout, argmax gates) and prints ours beside it: the same function gives
the same number. `--own-init` draws its own weights (same scheme); `--static` turns feedback off
(own weights: the slot BiGRU's input is narrower).

Prints one JSON line: per-step ms (forward + backward + clip + optimiser step), losses, versions.
"""
import argparse
import json
import math
import os
import sys
import time

# The thread count must reach OpenMP/OpenBLAS before torch loads them (see pytorch_ref.py).
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads)

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print(json.dumps({"error": "torch not installed (Debian: apt-get install python3-torch libopenblas0-pthread)"}))
    sys.exit(0)


def glorot(fan_in, fan_out):
    limit = math.sqrt(6 / (fan_in + fan_out))
    return nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-limit, limit))


def uniform(shape, scale):
    return nn.Parameter(torch.empty(*shape).uniform_(-scale, scale))


class Dense(nn.Module):
    """relu(x W + extra Wf + b): the feedback half is skipped (not multiplied by zeros) in pass 0."""

    def __init__(self, d_in, units, extra):
        super().__init__()
        self.W = glorot(d_in, units)
        self.Wf = glorot(extra, units) if extra else None
        self.b = nn.Parameter(torch.zeros(units))

    def forward(self, x, extra):
        y = x @ self.W
        if extra is not None and self.Wf is not None:
            y = y + extra @ self.Wf
        return torch.relu(y + self.b)


class BiGru(nn.Module):
    def __init__(self, d_in, hidden):
        super().__init__()
        self.hidden = hidden
        self.gru = nn.GRU(d_in, hidden, batch_first=True, bidirectional=True)  # init U(+-1/sqrt(H)) as ours

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out

    def load_ours(self, kernel, bias, recurrent, recurrent_bias):
        """Ours: kernel [D, 6H] columns [fw r z n | bw r z n], bias [6H], recurrent [2, H, 3H],
        recurrentBias [2, 1, 3H] -> PyTorch's weight_ih [3H, D], weight_hh [3H, H] per direction."""
        load_bidirectional(self.gru, kernel, bias, recurrent, recurrent_bias)


def load_bidirectional(rnn, kernel, bias, recurrent, recurrent_bias=None):
    """Ours' bidirectional recurrent layer -> nn.GRU / nn.LSTM (gate orders agree): kernel [D, 2G]
    columns [forward gates | backward gates], bias [2G], recurrent [2, H, G], recurrentBias
    [2, 1, G] (the BiGRU's; the BiLSTM has none) -> weight_ih [G, D], weight_hh [G, H] per direction."""
    G = kernel.shape[1] // 2
    with torch.no_grad():
        for d, suffix in enumerate(("l0", "l0_reverse")):
            getattr(rnn, f"weight_ih_{suffix}").copy_(kernel[:, d * G:(d + 1) * G].T)
            getattr(rnn, f"bias_ih_{suffix}").copy_(bias[d * G:(d + 1) * G])
            getattr(rnn, f"weight_hh_{suffix}").copy_(recurrent[d].T)
            if recurrent_bias is not None:
                getattr(rnn, f"bias_hh_{suffix}").copy_(recurrent_bias[d, 0])


class CharCnn(nn.Module):
    """Characters -> one vector per word: conv (width w, "same" padding) over the character
    embeddings, max over the word's real characters, tanh. Ours writes the convolution as a matrix
    product over w shifted copies, W [w*C, F]; here it is conv1d with weight [F, C, w]."""

    def __init__(self, n_chars, dim, filters, width):
        super().__init__()
        self.width, self.dim = width, dim
        self.embedding = uniform((n_chars, dim), 0.05)
        self.W = glorot(width * dim, filters)  # ours' layout and Glorot limit; conv1d reads a view
        self.b = nn.Parameter(torch.zeros(filters))

    def forward(self, chars, char_mask):
        e = self.embedding[chars] * char_mask.unsqueeze(2)  # [N, L, C], zeros past the word's end
        return torch.tanh(masked_max(conv_same(e, self.W, self.b, self.width), char_mask))


def conv_same(x, W, b, width):
    """Ours' `convSame` (layers.ts) as conv1d: x [N, L, C], W [width*C, F] (row j*C+c = tap j of
    channel c), "same" padding (floor((width-1)/2) on the left) -> [N, L, F]."""
    left = (width - 1) // 2
    w = W.view(width, x.shape[2], -1).permute(2, 1, 0)  # [F, C, width]
    padded = F.pad(x.transpose(1, 2), (left, width - 1 - left))
    return F.conv1d(padded, w, b).transpose(1, 2)


def read_named(names, shapes, flat):
    """The arrays of a dump's .weights.f32 (bench/twinDump.ts) by name: {name: tensor of shape}."""
    got, o = {}, 0
    for name, shape in zip(names, shapes):
        n = int(np.prod(shape)) if shape else 1
        got[name] = torch.from_numpy(flat[o:o + n].copy()).view(*shape)
        o += n
    if o != flat.size:
        raise SystemExit(f"weights file: {flat.size} floats, the names account for {o}")
    return got


def masked_mean(x, mask):
    m = mask.unsqueeze(2)
    return (x * m).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)


def masked_max(x, mask):
    m = mask.unsqueeze(2)
    return (x + (m - 1) * 1e9).max(1).values


def crf_nll(e, tags, lengths, mask, trans, start, end):
    """Summed NLL of the gold paths: e [B, T, C] emissions, tags [B, T] (every real token's tag
    known), trans [C, C] (row = previous tag). Forward algorithm over time, batched."""
    B, T, C = e.shape
    alpha = start + e[:, 0]
    for t in range(1, int(lengths.max())):
        nxt = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), 1) + e[:, t]
        alpha = torch.where(mask[:, t:t + 1] > 0, nxt, alpha)
    log_z = torch.logsumexp(alpha + end, 1)
    y = tags.clamp(min=0)
    emit = (e.gather(2, y.unsqueeze(2)).squeeze(2) * mask).sum(1)
    pair = (trans[y[:, :-1], y[:, 1:]] * mask[:, 1:]).sum(1)
    last = y.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
    score = start[y[:, 0]] + emit + pair + end[last]
    return (log_z - score).sum()


class QualityModel(nn.Module):
    def __init__(self, d, feedback):
        super().__init__()
        s = sizes(d)
        self.s, self.feedback = s, feedback
        self.K = s["K"] if feedback else 0
        a_is = s["amp_is"] if feedback else 0  # feedback width into the slot blocks
        a_si = s["amp_si"] if feedback else 0  # into the intent blocks
        self.a_is = a_is
        self.embedding = uniform((s["vocab"], s["emb"]), 0.05)
        self.chars = CharCnn(s["char_vocab"], s["char_dim"], s["filters"], s["width"])
        self.enc = BiGru(s["emb"] + s["filters"], s["hidden"])
        self.i1 = Dense(4 * s["hidden"], s["i1"], a_si)
        self.i2 = Dense(s["i1"], s["i2"], a_si)
        self.ih_W, self.ih_b = glorot(s["i2"], s["n_intent"]), nn.Parameter(torch.zeros(s["n_intent"]))
        self.s1 = BiGru(2 * s["hidden"] + a_is, s["g"])
        self.s2 = Dense(2 * s["g"], s["s2"], a_is)
        C = s["n_tags"]
        self.sh_W, self.sh_b = glorot(s["s2"], C), nn.Parameter(torch.zeros(C))
        self.trans = nn.Parameter(torch.zeros(C * C))
        self.start = nn.Parameter(torch.zeros(C))
        self.end = nn.Parameter(torch.zeros(C))
        if feedback:
            self.amp_is = glorot(s["n_intent"], a_is)  # label embedding, no bias
            self.amp_si_W, self.amp_si_b = glorot(C, a_si), nn.Parameter(torch.zeros(a_si))
            self.gate_is = nn.Parameter(torch.zeros(2))
            self.gate_si = nn.Parameter(torch.zeros(2))

    def ours(self):
        """Our parameter names -> the twin's tensors (BiGRU weights by layer: split on loading)."""
        t = {
            "encoder/embedding": self.embedding,
            "encoder/chars/embedding": self.chars.embedding,
            f"encoder/chars/conv{self.s['width']}/W": self.chars.W,
            f"encoder/chars/conv{self.s['width']}/b": self.chars.b,
            "tasks/intent/block1/W": self.i1.W, "tasks/intent/block1/b": self.i1.b,
            "tasks/intent/block2/W": self.i2.W, "tasks/intent/block2/b": self.i2.b,
            "tasks/intent/head/W": self.ih_W, "tasks/intent/head/b": self.ih_b,
            "tasks/slots/block2/W": self.s2.W, "tasks/slots/block2/b": self.s2.b,
            "tasks/slots/head/W": self.sh_W, "tasks/slots/head/b": self.sh_b,
            "tasks/slots/head/transitions": self.trans, "tasks/slots/head/start": self.start, "tasks/slots/head/end": self.end,
        }
        if self.feedback:
            t.update({
                "tasks/intent/block1/Wf": self.i1.Wf, "tasks/intent/block2/Wf": self.i2.Wf, "tasks/slots/block2/Wf": self.s2.Wf,
                "feedback/intent-to-slots/amplifier/E": self.amp_is, "feedback/intent-to-slots/gate/logits": self.gate_is,
                "feedback/slots-to-intent/amplifier/W": self.amp_si_W, "feedback/slots-to-intent/amplifier/b": self.amp_si_b,
                "feedback/slots-to-intent/gate/logits": self.gate_si,
            })
        return t, {"encoder/gru1": self.enc, "tasks/slots/block1/gru": self.s1}

    def load_ours(self, names, shapes, flat):
        tensors, grus = self.ours()
        got = read_named(names, shapes, flat)
        expected = set(tensors) | {f"{g}/{p}" for g in grus for p in ("kernel", "bias", "recurrent", "recurrentBias")}
        if set(got) != expected:
            raise SystemExit(f"our weights do not fit the twin: only ours {sorted(set(got) - expected)}, only the twin's {sorted(expected - set(got))}")
        with torch.no_grad():
            for name, p in tensors.items():
                if tuple(p.shape) != tuple(got[name].shape):
                    raise SystemExit(f"'{name}': ours [{list(got[name].shape)}], twin [{list(p.shape)}]")
                p.copy_(got[name])
        for g, layer in grus.items():
            layer.load_ours(*(got[f"{g}/{p}"] for p in ("kernel", "bias", "recurrent", "recurrentBias")))

    def gate(self, logits, tau, training):
        if not training:
            return F.one_hot(logits.argmax(), logits.shape[0]).float()
        u = torch.rand(logits.shape).clamp(min=1e-12)
        return torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=0)

    def forward(self, b, tau):
        tokens, lengths, mask = b["tokens"], b["lengths"], b["mask"]
        B, T = tokens.shape
        p = self.s["dropout"]
        words = self.embedding[tokens]
        chars = self.chars(b["chars"], b["char_mask"]).view(B, T, -1)
        x = F.dropout(torch.cat([words, chars], 2), p, self.training)
        tok = F.dropout(self.enc(x, lengths), p, self.training)
        sent = torch.cat([masked_mean(tok, mask), masked_max(tok, mask)], 1)
        if self.feedback:
            g_is, g_si = self.gate(self.gate_is, tau, self.training), self.gate(self.gate_si, tau, self.training)
        trans = self.trans.view(self.s["n_tags"], -1)
        it_i, it_s = [], []
        y_i = y_s = None
        for k in range(self.K + 1):
            e_i1 = e_i2 = e_s1 = e_s2 = None
            if k > 0:
                s_is = (y_i @ self.amp_is).unsqueeze(1).expand(B, T, self.a_is)
                s_si = masked_mean(y_s @ self.amp_si_W + self.amp_si_b, mask)
                e_s1, e_s2 = s_is * g_is[0], s_is * g_is[1]
                e_i1, e_i2 = s_si * g_si[0], s_si * g_si[1]
            h = self.i2(self.i1(sent, e_i1), e_i2)
            logit_i = h @ self.ih_W + self.ih_b
            s_in = tok if self.a_is == 0 else torch.cat([tok, e_s1 if e_s1 is not None else tok.new_zeros(B, T, self.a_is)], 2)
            h = self.s2(self.s1(s_in, lengths), e_s2)
            logit_s = h @ self.sh_W + self.sh_b
            y_i, y_s = torch.softmax(logit_i, -1), torch.softmax(logit_s, -1)
            it_i.append(y_i)
            it_s.append(y_s)
        return logit_i, logit_s, trans, it_i, it_s


class SafeSqrt(torch.autograd.Function):
    """sqrt(x) with the derivative 1 / (2 sqrt(x + 1e-12)): ours' convergence.ts (the value exact)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sqrt(x)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy / (2 * torch.sqrt(x + 1e-12))


def deltas(iterates, mask=None):
    out = []
    for k in range(len(iterates) - 1):
        sq = ((iterates[k + 1] - iterates[k]) ** 2).sum(-1)
        if mask is not None:
            sq = (sq * mask).sum(-1)
        out.append(SafeSqrt.apply(sq).mean())
    return out


def objective(model, b, tau):
    """(total, [intent loss, slots loss], [conv intent, conv slots]) as ours' objective()."""
    logit_i, logit_s, trans, it_i, it_s = model(b, tau)
    loss_i = F.cross_entropy(logit_i, b["intent"], ignore_index=-1)
    loss_s = crf_nll(logit_s, b["tags"], b["lengths"], b["mask"], trans, model.start, model.end) / b["tag_count"]
    total = loss_i + loss_s
    conv = [torch.zeros(()), torch.zeros(())]
    if model.K > 0:
        c = model.s["conv"]
        K = model.K
        w = [c["beta"] ** (K - k) if k >= c["startK"] else 0.0 for k in range(K)]
        conv = [sum(wk * dk for wk, dk in zip(w, deltas(it_i))), sum(wk * dk for wk, dk in zip(w, deltas(it_s, b["mask"])))]
        total = total + c["lambda"] * (conv[0] + conv[1])
    return total, [loss_i, loss_s], conv


def sizes(d):
    """The model's sizes from the experiment our trainer ran; exits naming what the twin does not cover."""
    cfg = d["config"]
    enc, tasks, fb = cfg["encoder"], {t["id"]: t for t in cfg["tasks"]}, {f["id"]: f for f in cfg["feedback"]}

    def need(cond, what):
        if not cond:
            raise SystemExit(f"bench/pytorch_quality.py is the twin of samples/snips-quality.fmtl.json; the dumped experiment differs: {what}")

    need(enc["type"] == "bigru" and enc.get("layers", 1) == 1 and not enc.get("attention"), "encoder must be a 1-layer bigru without attention")
    ch = enc.get("chars")
    need(ch and len(ch.get("widths", [3])) == 1, "encoder.chars with one width")
    need(set(tasks) == {"intent", "slots"}, "tasks intent + slots")
    ib, sb = tasks["intent"]["blocks"], tasks["slots"]["blocks"]
    need([x["type"] for x in ib] == ["dense", "dense"] and [x["type"] for x in sb] == ["bigru", "dense"], "intent blocks dense, dense; slots blocks bigru, dense")
    need(all(x.get("activation", "relu") == "relu" and not x.get("dropout") for x in ib + sb), "relu blocks without dropout")
    need(tasks["slots"].get("output") == "crf", "slots output crf")
    i2s, s2i = fb.get("intent-to-slots"), fb.get("slots-to-intent")
    need(i2s and s2i and i2s["amplifier"]["type"] == "label-embedding" and s2i["amplifier"]["type"] == "linear", "arrows intent-to-slots (label-embedding), slots-to-intent (linear)")
    need(all(f["injection"] == "gumbel" and f.get("candidates", [1, 2]) == [1, 2] and f.get("combine", "concat") == "concat" for f in (i2s, s2i)), "Gumbel gates over blocks [1, 2], concat")
    need(not cfg["gumbel"].get("hard") and cfg["gumbel"].get("anneal", "exp") == "exp", "soft Gumbel gates annealed exp")
    need(cfg.get("lossWeighting", {"type": "fixed"})["type"] == "fixed" and all(t.get("lossWeight", 1) == 1 for t in cfg["tasks"]), "fixed loss weighting, weights 1")
    need(not cfg["training"].get("stopGradient"), "no stopGradient")
    tr = cfg["training"]
    need(tr["optimizer"] == "adam", "optimizer adam")
    return {
        "vocab": d["vocab"], "char_vocab": d["charVocab"], "n_intent": d["labels"]["intent"], "n_tags": d["labels"]["slots"],
        "emb": enc["embeddingDim"], "hidden": enc["hidden"], "dropout": enc.get("dropout", 0),
        "char_dim": ch.get("embeddingDim", 32), "filters": ch.get("filters", 64), "width": ch.get("widths", [3])[0],
        "i1": ib[0]["units"], "i2": ib[1]["units"], "g": sb[0]["units"], "s2": sb[1]["units"],
        "amp_is": i2s["amplifier"]["units"], "amp_si": s2i["amplifier"]["units"],
        "K": cfg["iterations"], "conv": {"beta": cfg["convergence"]["beta"], "lambda": cfg["convergence"]["lambda"], "startK": cfg["convergence"].get("startK", 1)},
        "gumbel": cfg["gumbel"], "training": tr,
    }


def lr_at(tr, step, steps_per_epoch):
    """training.learningRate x warm-up x linear decay (src/trainer/lrSchedule.ts, decay 'linear')."""
    s = tr.get("lrSchedule", {})
    warm_steps, min_f = s.get("warmupSteps", 0), s.get("minFactor", 0.05)
    if s.get("decay", "none") not in ("none", "linear"):
        raise SystemExit(f"lrSchedule.decay '{s['decay']}': the twin does none and linear")
    warm = (step + 1) / warm_steps if warm_steps > 0 and step < warm_steps else 1.0
    f = 1.0
    if s.get("decay") == "linear":
        horizon = max(1, s.get("decayEpochs", tr["epochs"]) * steps_per_epoch - warm_steps)
        f = 1 - (1 - min_f) * min(1.0, max(0.0, (step - warm_steps) / horizon))
    return tr["learningRate"] * warm * f


def tau_at(g, step, total):
    frac = min(1.0, max(0.0, step / (total - 1))) if total > 1 else 1.0
    return max(g["tauMin"], g["tau0"] * (g["tauMin"] / g["tau0"]) ** frac)


def to_batch(b, training):
    B, T = b["size"], b["seqLen"]
    ids = b["trainTokens"] if training and "trainTokens" in b else b["tokens"]
    lengths = torch.tensor(b["lengths"], dtype=torch.long)
    mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).float()
    L = b["wordLen"]
    char_lens = torch.tensor(b["charLengths"], dtype=torch.long).clamp(min=1)  # a padding token: one pad character
    tags = torch.tensor(b["targets"]["slots"], dtype=torch.long).view(B, T)
    real = mask > 0
    if bool((tags[real] < 0).any()):
        raise SystemExit("a real token without a known tag: the twin's CRF needs every tag known (ours leaves it free)")
    return {
        "tokens": torch.tensor(ids, dtype=torch.long).view(B, T), "lengths": lengths, "mask": mask,
        "chars": torch.tensor(b["chars"], dtype=torch.long).view(B * T, L),
        "char_mask": (torch.arange(L).unsqueeze(0) < char_lens.unsqueeze(1)).float(),
        "intent": torch.tensor(b["targets"]["intent"], dtype=torch.long), "tags": tags, "tag_count": int(real.sum()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--static", action="store_true")
    ap.add_argument("--own-init", action="store_true", help="draw the twin's own initial weights instead of loading ours")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = json.load(open(a.batches))
    model = QualityModel(d, feedback=not a.static)
    s = model.s
    tr = s["training"]
    spe = d["stepsPerEpoch"]
    tau_steps = max(1, round(s["gumbel"].get("annealEpochs", tr["epochs"]) * spe))
    batches = d["batches"]

    # Same function: our initial weights, eval mode (no dropout, argmax gates), batch 0.
    same = None
    if not a.static and not a.own_init:
        flat = np.fromfile(os.path.join(os.path.dirname(a.batches), d["weightsFile"]), dtype="<f4")
        model.load_ours([w["name"] for w in d["weights"]], [w["shape"] for w in d["weights"]], flat)
        model.eval()
        with torch.no_grad():
            total, tl, cv = objective(model, to_batch(batches[0], False), s["gumbel"]["tau0"])
        ours = d["evalObjective"]
        same = {"ours": ours, "twin": {"total": total.item(), "tasks": [x.item() for x in tl], "convergence": [float(x) for x in cv]},
                "absDiff": abs(total.item() - ours["total"])}

    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=tr["learningRate"], eps=1e-7)
    clip = tr.get("clipNorm") or 0
    ms, cpu_ms, losses, lr_diff, tau_diff = [], [], [], 0.0, 0.0
    n = a.warmup + a.steps
    prepared = [to_batch(b, True) for b in batches]  # host-side tensors, as our step gets typed arrays
    for step in range(n):
        b = prepared[step % len(prepared)]
        lr = lr_at(tr, step, spe)
        tau = tau_at(s["gumbel"], step, tau_steps)
        if step < len(d["schedule"]["lr"]):
            lr_diff = max(lr_diff, abs(lr - d["schedule"]["lr"][step]))
            tau_diff = max(tau_diff, abs(tau - d["schedule"]["tau"][step]))
        t0, c0 = time.perf_counter(), time.process_time()
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss, _, _ = objective(model, b, tau)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        value = loss.item()
        dt, dc = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        losses.append(value)
        if step >= a.warmup:
            ms.append(dt)
            cpu_ms.append(dc)
    print(json.dumps({
        "threads": a.threads, "static": a.static, "stepMs": ms, "cpuMs": cpu_ms, "losses": losses,
        "sameFunction": same, "initialWeights": "own" if (a.static or a.own_init) else "ours",
        "scheduleMaxDiff": {"lr": lr_diff, "tau": tau_diff},
        "torch": torch.__version__, "parallel": torch.__config__.parallel_info().splitlines()[:6],
        "parameters": sum(p.numel() for p in model.parameters()),
    }))


if __name__ == "__main__":
    main()
