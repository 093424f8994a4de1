#!/usr/bin/env python3
"""PyTorch twins of the encoders and token-level blocks that bench/encoderBench.ts times, for
`npm run bench`. Each twin is PyTorch's own layer where one exists, with our sizes, fed the same
SNIPS batches (dumped by encoderBench.ts), and must have the same number of trainable parameters
(checked: the script stops naming the layer otherwise):

  bigru, bigru-chars  nn.GRU (bidirectional, packed sequences) after an embedding table (and the
                      character CNN of pytorch_quality.py); ours has the same two biases per gate
  bilstm              nn.LSTM (bidirectional, packed); ours has one bias per gate where PyTorch
                      has two, so the twin's bias_hh is frozen at zero (not trained, not counted)
  cnn                 conv1d per window width ("same" padding), concatenated, relu, per layer
  transformer         a projection, x sqrt(width) + sinusoidal positions, nn.TransformerEncoder of
                      pre-LN nn.TransformerEncoderLayer (norm_first) + final nn.LayerNorm; the
                      layer's dropout inside the feed-forward is removed (ours has none there)
  transformer-block   nn.Linear projection + one such layer + final nn.LayerNorm
  attention           hand-written (torch 1.13 has no scaled_dot_product_attention, and
                      nn.MultiheadAttention always adds an output projection, which the `concat`
                      layer has not): q, k, v nn.Linear, masked softmax, dropout, [x | attention]

Encoders end as ours do: token states times the mask, sentence = [masked mean | masked max].
Loss (Σ tokens² + Σ sentence²) / 2B; one step = zero_grad, forward, loss, backward, Adam (eps 1e-7).

Same function check (every run): the twin loads our initial weights (by name) and evaluates batch
0 in eval mode (no dropout): token states, sentence vector, loss and gradient norm are compared with
ours (dumped). Prints one JSON line.
"""
import argparse
import json
import math
import os
import time

from pytorch_quality import BiGru, CharCnn, conv_same, load_bidirectional, masked_max, masked_mean, read_named  # also sets the thread env

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    """Embedding (+ character CNN) -> layer -> masked token states and [mean | max] sentence."""

    def __init__(self, d):
        super().__init__()
        s = d["spec"]
        self.s = s
        self.p = s.get("dropout", 0) or 0
        self.embedding = nn.Parameter(torch.empty(d["vocab"], s["embeddingDim"]).uniform_(-0.05, 0.05))
        width = s["embeddingDim"]
        self.chars = None
        if s.get("chars"):
            c = s["chars"]
            if len(c.get("widths", [3])) != 1:
                raise SystemExit("pytorch_encoders.py: the character CNN twin has one window width")
            self.chars = CharCnn(d["charVocab"], c.get("embeddingDim", 32), c.get("filters", 100), c.get("widths", [3])[0])
            width += c.get("filters", 100)
        t = s["type"]
        if t == "bigru":
            if s.get("layers", 1) != 1 or s.get("attention"):
                raise SystemExit("pytorch_encoders.py: the bigru twin is one layer without attention")
            self.rnn = BiGru(width, s["hidden"])
        elif t == "bilstm":
            if s.get("layers", 1) != 1 or s.get("attention"):
                raise SystemExit("pytorch_encoders.py: the bilstm twin is one layer without attention")
            self.rnn = nn.LSTM(width, s["hidden"], batch_first=True, bidirectional=True)
            for b in (self.rnn.bias_hh_l0, self.rnn.bias_hh_l0_reverse):
                nn.init.zeros_(b)
                b.requires_grad_(False)
        elif t == "cnn":
            if s.get("activation", "relu") != "relu":
                raise SystemExit("pytorch_encoders.py: the cnn twin uses relu")
            self.convs = nn.ModuleList()
            for _ in range(s.get("layers", 1)):
                layer = nn.ParameterList()
                for w in s.get("widths", [3]):
                    limit = math.sqrt(6 / (w * width + s["filters"]))
                    layer.append(nn.Parameter(torch.empty(w * width, s["filters"]).uniform_(-limit, limit)))
                    layer.append(nn.Parameter(torch.zeros(s["filters"])))
                self.convs.append(layer)
                width = s["filters"] * len(s.get("widths", [3]))
        elif t == "transformer":
            if s.get("positions", "sinusoidal") != "sinusoidal":
                raise SystemExit("pytorch_encoders.py: the transformer twin uses sinusoidal positions")
            w = s["width"]
            self.project = nn.Linear(width, w) if width != w else None
            self.stack = TransformerStack(w, s["heads"], s.get("ffn", 4 * w), self.p, s.get("layers", 2))
        else:
            raise SystemExit(f"pytorch_encoders.py: no twin for encoder '{t}'")

    def load_ours(self, got):
        """Our weights (names under `encoder/`) into the twin; stops naming what does not fit."""
        s, t = self.s, self.s["type"]
        used = {"encoder/embedding"}
        copy(self.embedding, got["encoder/embedding"])
        if self.chars is not None:
            w = s["chars"].get("widths", [3])[0]
            for name, p in (("embedding", self.chars.embedding), (f"conv{w}/W", self.chars.W), (f"conv{w}/b", self.chars.b)):
                copy(p, got[f"encoder/chars/{name}"])
                used.add(f"encoder/chars/{name}")
        if t == "bigru":
            parts = [f"encoder/gru1/{p}" for p in ("kernel", "bias", "recurrent", "recurrentBias")]
            self.rnn.load_ours(*(got[p] for p in parts))
            used.update(parts)
        elif t == "bilstm":
            parts = [f"encoder/lstm1/{p}" for p in ("kernel", "bias", "recurrent")]
            load_bidirectional(self.rnn, *(got[p] for p in parts))  # ours: columns [fw i f g o | bw i f g o]
            used.update(parts)
        elif t == "cnn":
            for i, layer in enumerate(self.convs):
                for j, w in enumerate(s.get("widths", [3])):
                    for k, part in enumerate(("W", "b")):
                        name = f"encoder/conv{i + 1}/width{w}/{part}"
                        copy(layer[2 * j + k], got[name])
                        used.add(name)
        else:
            if self.project is not None:
                load_linear(self.project, got, "encoder/input", used)
            self.stack.load_ours(got, "encoder", used)
        return used

    def forward(self, b, states=None):
        tokens, lengths, mask = b["tokens"], b["lengths"], b["mask"]
        B, T = tokens.shape
        x = self.embedding[tokens]
        if self.chars is not None:
            x = torch.cat([x, self.chars(b["chars"], b["char_mask"]).view(B, T, -1)], 2)
        x = F.dropout(x, self.p, self.training) if self.s["type"] != "transformer" else x
        t = self.s["type"]
        m = mask.unsqueeze(2)
        if t == "bigru":
            x = F.dropout(self.rnn(x, lengths), self.p, self.training)
        elif t == "bilstm":
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
            x = F.dropout(out, self.p, self.training)
        elif t == "cnn":
            widths = self.s.get("widths", [3])
            for layer in self.convs:
                xm = x * m
                parts = [conv_same(xm, layer[2 * j], layer[2 * j + 1], w) for j, w in enumerate(widths)]
                x = F.dropout(torch.relu(torch.cat(parts, 2)), self.p, self.training)
        else:
            w = self.s["width"]
            x = (self.project(x) if self.project is not None else x) * math.sqrt(w) + sinusoidal(T, w)
            x = self.stack(F.dropout(x, self.p, self.training), mask)
        x = x * m
        return x, torch.cat([masked_mean(x, mask), masked_max(x, mask)], 1)


class TransformerStack(nn.Module):
    """Pre-LN nn.TransformerEncoderLayer x layers + final LayerNorm, outputs times the mask."""

    def __init__(self, width, heads, ffn, dropout, layers):
        super().__init__()
        layer = nn.TransformerEncoderLayer(width, heads, ffn, dropout, activation="relu", batch_first=True, norm_first=True)
        layer.dropout = nn.Identity()  # ours has no dropout between the two feed-forward layers
        self.enc = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(width), enable_nested_tensor=False)

    def load_ours(self, got, prefix, used):
        for i, l in enumerate(self.enc.layers):
            p = f"{prefix}/layer{i + 1}"
            att = l.self_attn
            names = [f"{p}/attention/{n}/{part}" for n in ("query", "key", "value", "output") for part in ("W", "b")]
            used.update(names)
            q, k, v, o = ((got[f"{p}/attention/{n}/W"], got[f"{p}/attention/{n}/b"]) for n in ("query", "key", "value", "output"))
            with torch.no_grad():
                att.in_proj_weight.copy_(torch.cat([q[0].T, k[0].T, v[0].T], 0))
                att.in_proj_bias.copy_(torch.cat([q[1], k[1], v[1]]))
                att.out_proj.weight.copy_(o[0].T)
                att.out_proj.bias.copy_(o[1])
            load_norm(l.norm1, got, f"{p}/norm1", used)
            load_norm(l.norm2, got, f"{p}/norm2", used)
            load_linear(l.linear1, got, f"{p}/ffn1", used)
            load_linear(l.linear2, got, f"{p}/ffn2", used)
        load_norm(self.enc.norm, got, f"{prefix}/norm", used)

    def forward(self, x, mask):
        return self.enc(x, src_key_padding_mask=mask == 0) * mask.unsqueeze(2)


class Block(nn.Module):
    """The `transformer` block: [x] W + b, one pre-LN layer, final norm (no feedback input here)."""

    def __init__(self, d):
        super().__init__()
        s = d["spec"]
        self.project = nn.Linear(d["inDim"], s["units"])
        self.stack = TransformerStack(s["units"], s.get("heads", 1), s.get("ffn", 4 * s["units"]), s.get("dropout", 0) or 0, 1)

    def load_ours(self, got):
        used = set()
        load_linear(self.project, got, "block", used)
        self.stack.load_ours(got, "block", used)
        return used

    def forward(self, b, states):
        return self.stack(self.project(states), b["mask"]), None


class Attention(nn.Module):
    """The encoders' `attention` option with combine `concat`: [x | MHA(x)] (no output projection)."""

    def __init__(self, d):
        super().__init__()
        s = d["spec"]
        if s.get("combine", "concat") != "concat":
            raise SystemExit("pytorch_encoders.py: the attention twin is combine 'concat'")
        self.heads, self.dim, self.p = s["heads"], s["dim"], s.get("dropout", 0) or 0
        self.q, self.k, self.v = (nn.Linear(d["inDim"], s["dim"]) for _ in range(3))

    def load_ours(self, got):
        used = set()
        for name, lin in (("query", self.q), ("key", self.k), ("value", self.v)):
            load_linear(lin, got, f"attention/{name}", used)
        return used

    def forward(self, b, x):
        mask = b["mask"]
        B, T, _ = x.shape
        h, dk = self.heads, self.dim // self.heads
        split = lambda t: t.view(B, T, h, dk).transpose(1, 2)  # noqa: E731  [B, h, T, dk]
        scores = split(self.q(x)) @ split(self.k(x)).transpose(2, 3) / math.sqrt(dk) + ((mask - 1) * 1e9).view(B, 1, 1, T)
        w = F.dropout(torch.softmax(scores, -1), self.p, self.training)
        a = (w @ split(self.v(x))).transpose(1, 2).reshape(B, T, self.dim)
        return torch.cat([x, a], 2) * mask.unsqueeze(2), None


def copy(p, t):
    if tuple(p.shape) != tuple(t.shape):
        raise SystemExit(f"pytorch_encoders.py: ours {list(t.shape)} does not fit the twin's {list(p.shape)}")
    with torch.no_grad():
        p.copy_(t)


def load_linear(lin, got, name, used):
    """Ours' Dense (W [in, out], b) into nn.Linear (weight [out, in])."""
    copy(lin.weight, got[f"{name}/W"].T)
    copy(lin.bias, got[f"{name}/b"])
    used.update({f"{name}/W", f"{name}/b"})


def load_norm(norm, got, name, used):
    copy(norm.weight, got[f"{name}/gain"])
    copy(norm.bias, got[f"{name}/bias"])
    used.update({f"{name}/gain", f"{name}/bias"})


def sinusoidal(T, d):
    """Ours' sinusoidalPositions (transformer.ts): PE[t, i] = sin / cos(t / 10000^(i_even / d))."""
    pe = torch.zeros(T, d)
    t = torch.arange(T, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = t / torch.pow(10000.0, i / d)
    pe[:, 0::2] = torch.sin(angle).float()
    pe[:, 1::2] = torch.cos(angle[:, : d // 2]).float()
    return pe


def to_batch(b):
    B, T = b["size"], b["seqLen"]
    lengths = torch.tensor(b["lengths"], dtype=torch.long)
    out = {"tokens": torch.tensor(b["tokens"], dtype=torch.long).view(B, T), "lengths": lengths,
           "mask": (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).float()}
    if "chars" in b:
        L = b["wordLen"]
        char_lens = torch.tensor(b["charLengths"], dtype=torch.long).clamp(min=1)  # a padding token: one pad character
        out["chars"] = torch.tensor(b["chars"], dtype=torch.long).view(B * T, L)
        out["char_mask"] = (torch.arange(L).unsqueeze(0) < char_lens.unsqueeze(1)).float()
    return out


def bench_loss(tokens, sentence, B):
    sq = (tokens ** 2).sum()
    return (sq + (sentence ** 2).sum() if sentence is not None else sq) / (2 * B)


TWINS = {"encoder": Encoder, "block": Block, "attention": Attention}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    d = json.load(open(a.dump))
    flat = np.fromfile(os.path.join(os.path.dirname(a.dump), d["weightsFile"]), dtype="<f4")
    got = read_named([t["name"] for t in d["tensors"]], [t["shape"] for t in d["tensors"]], flat)
    sets = {k: [to_batch(b) for b in v] for k, v in d["batchSets"].items()}
    out = []
    for spec in d["layers"]:
        lid = spec["id"]
        model = TWINS[spec["kind"]](spec)
        params = [p for p in model.parameters() if p.requires_grad]
        count = sum(p.numel() for p in params)
        if count != spec["parameters"]:
            raise SystemExit(f"pytorch_encoders.py: layer '{lid}': the twin has {count} trainable parameters, ours {spec['parameters']}: not the same architecture")
        mine = {k[len(lid) + 1:]: v for k, v in got.items() if k.startswith(lid + "/") and "/@" not in k}
        used = model.load_ours(mine)
        if used != set(mine):
            raise SystemExit(f"pytorch_encoders.py: layer '{lid}': ours not loaded {sorted(set(mine) - used)}")
        batches = sets[spec["batches"]]
        # Same function: eval mode (no dropout), batch 0, our weights and our input states.
        model.eval()
        b0 = batches[0]
        tokens, sentence = model(b0, got.get(f"{lid}/@states"))
        loss = bench_loss(tokens, sentence, b0["tokens"].shape[0])
        grads = torch.autograd.grad(loss, params)
        ref = got[f"{lid}/@tokens"]
        check = {
            "tokensMaxAbsDiff": (tokens.detach() - ref).abs().max().item(), "tokensMaxAbs": ref.abs().max().item(),
            "sentenceMaxAbsDiff": (sentence.detach() - got[f"{lid}/@sentence"]).abs().max().item() if sentence is not None else None,
            "loss": {"ours": spec["evalLoss"], "twin": loss.item()},
            "gradNorm": {"ours": spec["gradNorm"], "twin": math.sqrt(sum((g.double() ** 2).sum().item() for g in grads))},
        }
        # Timing: train mode (dropout on), Adam over the trainable parameters, our batches in order.
        model.train()
        opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
        gen = torch.Generator().manual_seed(1)
        width = spec.get("inDim")
        inputs = [torch.randn(b["tokens"].shape[0], b["tokens"].shape[1], width, generator=gen) if width else None for b in batches]
        ms, cpu_ms = [], []
        for step in range(a.warmup + a.steps):
            b, x = batches[step % len(batches)], inputs[step % len(batches)]
            t0, c0 = time.perf_counter(), time.process_time()
            opt.zero_grad(set_to_none=True)
            tokens, sentence = model(b, x)
            bench_loss(tokens, sentence, b["tokens"].shape[0]).backward()
            opt.step()
            dt, dc = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
            if step >= a.warmup:
                ms.append(dt)
                cpu_ms.append(dc)
        out.append({"id": lid, "twin": type(model).__name__ if spec["kind"] != "encoder" else f"Encoder({spec['spec']['type']})",
                    "parameters": count, "stepMs": ms, "cpuMs": cpu_ms, "check": check})
    print(json.dumps({"threads": a.threads, "torch": torch.__version__, "layers": out}))


if __name__ == "__main__":
    main()
