#!/usr/bin/env python3
"""PyTorch reference of the SNIPS feedback-MTL model in samples/snips.fmtl.json, for `npm run bench`.

The same architecture, sizes, initialisation scheme, losses and optimiser as the TypeScript trainer
(src/trainer/model/*), trained on the exact batches our trainer sees (dumped by bench/trainBench.ts):

  embedding V x 64 (uniform +-0.05), dropout 0.3
  encoder: BiGRU 64 -> 2 x 64 over packed sequences (PyTorch's GRU = ours), dropout 0.3
  sentence vector [masked mean | masked max] (256)
  intent tower: dense 64 relu, dense 64 relu, linear head (+ 32-wide feedback input at each block)
  slots tower:  BiGRU block 64 (input 128 + 32 feedback), dense 64 relu, linear head
  feedback intent -> slots: label embedding (C_intent x 32), broadcast over tokens;
           slots -> intent: linear (C_tags -> 32) per token, masked mean;
           each arrow Gumbel-gated (soft) over both blocks of its target, tau annealed exp 1 -> 0.1
  K = 3: pass 0 without feedback, passes 1..3 with the previous pass's probabilities
  loss: CE(intent) + CE(slots over real tokens) on pass K
        + lambda * sum_tasks sum_{k>=startK} beta^(K-k) * mean_b ||y^(k+1) - y^k||_F (beta .5, lambda .5)
  Adam lr 1e-3 (eps 1e-7 as tfjs), Glorot-uniform dense weights, zero biases, zero gate logits.

Prints one JSON line: per-step ms (forward + backward + optimiser step), losses, versions.
"""
import argparse
import json
import math
import os
import sys
import time

# The thread count must reach OpenMP/OpenBLAS before torch loads them: torch.set_num_threads alone
# left OpenBLAS's own pthread pool running (a quiet "1 thread" run used ~2x its wall time in CPU).
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv[:-1] else "1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    print(json.dumps({"error": "torch not installed (Debian: apt-get install python3-torch libopenblas0-pthread)"}))
    sys.exit(0)


def glorot(fan_in, fan_out):
    limit = math.sqrt(6 / (fan_in + fan_out))
    return nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-limit, limit))


class Dense(nn.Module):
    """act(x W + extra Wf + b): the feedback half is skipped (not multiplied by zeros) in pass 0."""

    def __init__(self, d_in, units, extra):
        super().__init__()
        self.w = glorot(d_in, units)
        self.wf = glorot(extra, units) if extra else None
        self.b = nn.Parameter(torch.zeros(units))

    def forward(self, x, extra):
        y = x @ self.w
        if extra is not None and self.wf is not None:
            y = y + extra @ self.wf
        return torch.relu(y + self.b)


class BiGru(nn.Module):
    def __init__(self, d_in, hidden):
        super().__init__()
        self.gru = nn.GRU(d_in, hidden, batch_first=True, bidirectional=True)  # init U(+-1/sqrt(H)) as ours

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out


def masked_mean(x, mask):
    m = mask.unsqueeze(2)
    return (x * m).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)


def masked_max(x, mask):
    m = mask.unsqueeze(2)
    return (x + (m - 1) * 1e9).max(1).values


class FeedbackModel(nn.Module):
    def __init__(self, vocab, n_intent, n_tags, feedback, K, emb=64, hidden=64, units=64, amp=32, dropout=0.3):
        super().__init__()
        self.feedback, self.K, self.dropout = feedback, (K if feedback else 0), dropout
        extra = amp if feedback else 0
        self.emb = nn.Parameter(torch.empty(vocab, emb).uniform_(-0.05, 0.05))
        self.enc = BiGru(emb, hidden)
        self.i1, self.i2 = Dense(4 * hidden, units, extra), Dense(units, units, extra)
        self.ih_w, self.ih_b = glorot(units, n_intent), nn.Parameter(torch.zeros(n_intent))
        self.s1 = BiGru(2 * hidden + extra, units)
        self.s2 = Dense(2 * units, units, extra)
        self.sh_w, self.sh_b = glorot(units, n_tags), nn.Parameter(torch.zeros(n_tags))
        self.extra = extra
        if feedback:
            self.amp_is = glorot(n_intent, amp)                       # label embedding, no bias
            self.amp_si_w, self.amp_si_b = glorot(n_tags, amp), nn.Parameter(torch.zeros(amp))
            self.gate_is = nn.Parameter(torch.zeros(2))
            self.gate_si = nn.Parameter(torch.zeros(2))

    def gate(self, logits, tau):
        u = torch.rand(logits.shape).clamp(min=1e-12)
        return torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=0)

    def forward(self, tokens, lengths, mask, tau):
        B, T = tokens.shape
        x = F.dropout(self.emb[tokens], self.dropout, self.training)
        tok = F.dropout(self.enc(x, lengths), self.dropout, self.training)
        sent = torch.cat([masked_mean(tok, mask), masked_max(tok, mask)], 1)
        g_is = self.gate(self.gate_is, tau) if self.feedback else None
        g_si = self.gate(self.gate_si, tau) if self.feedback else None
        it_i, it_s = [], []
        y_i = y_s = None
        for k in range(self.K + 1):
            e_i1 = e_i2 = e_s1 = e_s2 = None
            if k > 0:
                s_is = (y_i @ self.amp_is).unsqueeze(1).expand(B, T, self.extra)
                s_si = masked_mean(y_s @ self.amp_si_w + self.amp_si_b, mask)
                e_s1, e_s2 = s_is * g_is[0], s_is * g_is[1]
                e_i1, e_i2 = s_si * g_si[0], s_si * g_si[1]
            h = self.i2(self.i1(sent, e_i1), e_i2)
            logit_i = h @ self.ih_w + self.ih_b
            s_in = tok if self.extra == 0 else torch.cat([tok, e_s1 if e_s1 is not None else tok.new_zeros(B, T, self.extra)], 2)
            h = self.s2(self.s1(s_in, lengths), e_s2)
            logit_s = h @ self.sh_w + self.sh_b
            y_i, y_s = torch.softmax(logit_i, -1), torch.softmax(logit_s, -1)
            it_i.append(y_i)
            it_s.append(y_s)
        return logit_i, logit_s, it_i, it_s


def deltas(iterates, mask=None):
    out = []
    for k in range(len(iterates) - 1):
        sq = ((iterates[k + 1] - iterates[k]) ** 2).sum(-1)
        if mask is not None:
            sq = (sq * mask).sum(-1)
        out.append(torch.sqrt(sq + 1e-12).mean())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--static", action="store_true")
    ap.add_argument("--total-steps", type=int, default=409, help="for the tau schedule (our 1-epoch run)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = json.load(open(a.batches))
    labels = d["labels"]
    model = FeedbackModel(d["vocab"], labels["intent"], labels["slots"], feedback=not a.static, K=3)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    beta, lam, start_k = 0.5, 0.5, 1
    batches = d["batches"]
    ms, cpu_ms, losses = [], [], []
    n = a.warmup + a.steps
    for step in range(n):
        b = batches[step % len(batches)]
        B, T = b["size"], b["seqLen"]
        tokens = torch.tensor(b["tokens"], dtype=torch.long).view(B, T)
        lengths = torch.tensor(b["lengths"], dtype=torch.long)
        mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).float()
        intent = torch.tensor(b["targets"]["intent"], dtype=torch.long)
        tags = torch.tensor(b["targets"]["slots"], dtype=torch.long)
        frac = min(1.0, step / max(1, a.total_steps - 1))
        tau = max(0.1, 1.0 * (0.1 / 1.0) ** frac)
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        logit_i, logit_s, it_i, it_s = model(tokens, lengths, mask, tau)
        loss = F.cross_entropy(logit_i, intent) + F.cross_entropy(logit_s.reshape(B * T, -1), tags, ignore_index=-1)
        if model.K > 0:
            K = model.K
            w = [beta ** (K - k) if k >= start_k else 0.0 for k in range(K)]
            conv = sum(wk * dk for wk, dk in zip(w, deltas(it_i))) + sum(wk * dk for wk, dk in zip(w, deltas(it_s, mask)))
            loss = loss + lam * conv
        loss.backward()
        opt.step()
        value = loss.item()
        dt, dc = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        losses.append(value)
        if step >= a.warmup:
            ms.append(dt)
            cpu_ms.append(dc)
    print(json.dumps({
        "threads": a.threads, "static": a.static, "stepMs": ms, "cpuMs": cpu_ms, "losses": losses,
        "torch": torch.__version__, "parallel": torch.__config__.parallel_info().splitlines()[:6],
        "parameters": sum(p.numel() for p in model.parameters()),
    }))


if __name__ == "__main__":
    main()
