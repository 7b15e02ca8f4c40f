#!/usr/bin/python3
"""The reference side of bench/ranker_vs_pytorch.sh: reco's DIN written in plain PyTorch, trained on the SAME
samples.bin (numpy memmap of the layout in src/data/samples_format.h / docs/data.md).

Same model as src/nn/din.cc (item/category/type/recency embeddings, local activation unit on
[h, t, h-t, h*t, type, recency] evaluated in the same factored form, Dice with masked batch statistics, raw
attention weights, final MLP 200-80-1 with Dice on [pooled, t, pooled*t]), same initialisation distributions, same
batch layout (1 + K rows per sample), same loss (BCE with logits) and the same optimizer semantics: SparseAdam on the
item and category tables (Embedding(sparse=True)), Adam on everything else — what reco's lazy-adam implements.
Histories: --histories grouped (default) gives one history per sample and lets the 1 + K rows of the sample share
it by broadcasting (plain PyTorch: [N, 1, L, .] against [N, 1 + K, 1, .]), as reco's trainer does (H = samples);
--histories per-row repeats it into every row (H = rows), the naive layout. Both compute the same loss.
Prints one JSON line: {"examples_per_second": ..., "threads": ..., "histories": ..., "loss": ...}.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HEADER = np.dtype([("magic", "S8"), ("version", "<u4"), ("max_history", "<u4"), ("num_negatives", "<u4"),
                   ("split_mode", "<u4"), ("num_events", "<u8"), ("num_users", "<u8"), ("num_items", "<u8"),
                   ("num_cates", "<u8"), ("num_samples", "<u8"), ("split_count", "<u8", 3), ("base_time", "<i8"),
                   ("train_end", "<i8"), ("valid_end", "<i8"), ("file_size", "<u8"), ("reserved", "<u8")])
RECORD = np.dtype([("event", "<u8"), ("user", "<u4"), ("hist_len", "<u2"), ("split", "u1"), ("reserved", "u1")])


class SampleFile:
    def __init__(self, path):
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        self.h = np.frombuffer(raw[:128].tobytes(), dtype=HEADER)[0]
        assert self.h["magic"] == b"RECOSMPL" and self.h["version"] == 1, "not a reco sample file"
        off = [128]

        def section(dtype, count):
            start = (off[0] + 7) // 8 * 8
            arr = np.frombuffer(raw, dtype=dtype, count=int(count), offset=start)
            off[0] = start + arr.nbytes
            return arr

        e = self.h["num_events"]
        self.item = section("<i4", e)
        self.cate = section("<i4", e)
        self.type = section("u1", e)
        self.time = section("<u4", e)
        section("<u8", self.h["num_users"] + 1)
        self.item_cate = section("<i4", self.h["num_items"])
        self.samples = section(RECORD, self.h["num_samples"])
        self.negatives = section("<i4", self.h["num_samples"] * self.h["num_negatives"])
        self.L = int(self.h["max_history"])
        self.K = int(self.h["num_negatives"])
        self.n_train = int(self.h["split_count"][0])  # train samples come first

    def batch(self, idx, grouped):
        """Training samples `idx` -> tensors in the index spaces of docs/ranker_model.md (1 + K rows each); histories
        [N, L] (grouped: one per sample) or [N * (1 + K), L] (one copy per row)."""
        rec = self.samples[idx]
        ev = rec["event"].astype(np.int64)
        n = rec["hist_len"].astype(np.int64)
        pos = ev[:, None] - n[:, None] + np.arange(self.L)[None, :]
        mask = np.arange(self.L)[None, :] < n[:, None]
        pos = np.where(mask, pos, 0)
        hi = np.where(mask, self.item[pos], 0)
        hc = np.where(mask, self.cate[pos], 0)
        ht = np.where(mask, self.type[pos].astype(np.int64) + 1, 0)
        minutes = (self.time[ev][:, None].astype(np.int64) - self.time[pos].astype(np.int64)) // 60 + 1
        _, exp = np.frexp(minutes.astype(np.float64))  # floor(log2(m)) = exp - 1, exact
        hr = np.where(mask, 1 + np.minimum(14, exp - 1), 0)
        k1 = 1 + self.K
        negs = self.negatives.reshape(-1, max(self.K, 1))[idx] if self.K else np.zeros((len(idx), 0), np.int32)
        tgt = np.concatenate([self.item[ev][:, None], negs], axis=1).reshape(-1)
        tcat = np.concatenate([self.cate[ev][:, None], self.item_cate[negs]], axis=1).reshape(-1)
        label = np.tile(np.array([1.0] + [0.0] * self.K, dtype=np.float32), len(idx))
        reps = 1 if grouped else k1
        rep = lambda a, t=np.int64: torch.from_numpy(np.repeat(a, reps, axis=0).astype(t))
        return (rep(hi), rep(hc), rep(ht), rep(hr), rep(mask, np.float32),
                torch.from_numpy(tgt.astype(np.int64)), torch.from_numpy(tcat.astype(np.int64)),
                torch.from_numpy(label))


class Dice(nn.Module):
    def __init__(self, features, eps=1e-8, momentum=0.1):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(features))
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_var", torch.ones(features))
        self.eps, self.momentum, self.features = eps, momentum, features

    def forward(self, x, mask=None):
        flat = x.reshape(-1, self.features)
        if mask is not None:
            w = mask.expand(x.shape[:-1]).reshape(-1, 1)
            count = w.sum().clamp_min(1.0)
            mean = (flat * w).sum(0) / count
            var = ((flat - mean).square() * w).sum(0) / count
        else:
            mean = flat.mean(0)
            var = flat.var(0, unbiased=False)
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(mean.detach(), alpha=self.momentum)
            self.running_var.mul_(1 - self.momentum).add_(var.detach(), alpha=self.momentum)
        p = torch.sigmoid((x - mean) * torch.rsqrt(var + self.eps))
        return x * torch.addcmul(self.alpha, 1.0 - self.alpha, p)


def table(rows, dim, sparse):
    e = nn.Embedding(rows, dim, padding_idx=0, sparse=sparse)
    with torch.no_grad():
        e.weight.normal_(0.0, 0.05)
        e.weight[0].zero_()
    return e


class Din(nn.Module):
    def __init__(self, num_items, num_cates, d=16, dt=4, dr=4, att=(80, 40), mlp=(200, 80)):
        super().__init__()
        self.d = d
        self.item, self.cate = table(num_items, d, True), table(num_cates, d, True)
        self.btype, self.recency = table(5, dt, False), table(16, dr, False)
        width = 8 * d + dt + dr
        self.att_fc, self.att_dice = nn.ModuleList(), nn.ModuleList()
        for a in att:
            self.att_fc.append(nn.Linear(width, a))
            self.att_dice.append(Dice(a))
            width = a
        self.att_out = nn.Linear(width, 1)
        self.fc, self.dice = nn.ModuleList(), nn.ModuleList()
        width = 6 * d
        for m in mlp:
            self.fc.append(nn.Linear(width, m))
            self.dice.append(Dice(m))
            width = m
        self.out = nn.Linear(width, 1)

    def forward(self, hi, hc, ht, hr, mask, ti, tc):
        # Histories [H, L] with H dividing B = len(ti): row r uses history r // G, G = B // H (G = 1: per-row copies).
        n_hist, batch = hi.size(0), ti.size(0)
        g = batch // n_hist
        h = torch.cat([self.item(hi), self.cate(hc)], -1)  # [H, L, E]
        t = torch.cat([self.item(ti), self.cate(tc)], -1)  # [B, E]
        ext = torch.cat([h, self.btype(ht), self.recency(hr)], -1)
        w, e = self.att_fc[0].weight, 2 * self.d
        w_hist = torch.cat([w.narrow(1, 0, e) + w.narrow(1, 2 * e, e), w.narrow(1, 4 * e, w.size(1) - 4 * e)], 1)
        w_tgt = w.narrow(1, e, e) - w.narrow(1, 2 * e, e)
        w_prod = w.narrow(1, 3 * e, e)
        tg = t.view(n_hist, g, 1, e)
        z = torch.matmul(h.unsqueeze(1) * tg, w_prod.t())  # [H, G, L, A]
        z = (z + torch.matmul(ext, w_hist.t()).unsqueeze(1)) + \
            torch.addmm(self.att_fc[0].bias, t, w_tgt.t()).view(n_hist, g, 1, -1)
        m = mask.unsqueeze(1)  # [H, 1, L], broadcast over the G rows (Dice statistics expand it to [H, G, L])
        z = self.att_dice[0](z, m)
        for fc, dice in zip(self.att_fc[1:], self.att_dice[1:]):
            z = dice(fc(z), m)
        weight = self.att_out(z).squeeze(-1) * m  # [H, G, L]
        pooled = torch.matmul(weight, h).reshape(batch, e)  # [H, G, E] -> [B, E]
        x = torch.cat([pooled, t, pooled * t], -1)
        for fc, dice in zip(self.fc, self.dice):
            x = dice(fc(x))
        return self.out(x).squeeze(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", required=True)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--emb-dim", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=0, help="training samples to time (0 = one epoch)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--histories", choices=["grouped", "per-row"], default="grouped",
                    help="one history per sample shared by broadcasting, or one copy per row (naive)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    sf = SampleFile(a.samples)
    model = Din(int(sf.h["num_items"]), int(sf.h["num_cates"]), d=a.emb_dim)
    sparse = [model.item.weight, model.cate.weight]
    dense = [p for p in model.parameters() if all(p is not s for s in sparse)]
    opt_sparse, opt_dense = torch.optim.SparseAdam(sparse, lr=a.lr), torch.optim.Adam(dense, lr=a.lr)
    n = min(sf.n_train, a.limit) if a.limit > 0 else sf.n_train
    order = np.random.default_rng(a.seed).permutation(sf.n_train)[:n]
    model.train()
    t0 = time.perf_counter()
    rows, loss_sum = 0, 0.0
    for s in range(0, n, a.batch_size):
        hi, hc, ht, hr, mask, ti, tc, y = sf.batch(order[s:s + a.batch_size], a.histories == "grouped")
        opt_sparse.zero_grad(set_to_none=True)
        opt_dense.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(hi, hc, ht, hr, mask, ti, tc), y)
        loss.backward()
        opt_dense.step()
        opt_sparse.step()
        loss_sum += loss.item() * len(y)
        rows += len(y)
    seconds = time.perf_counter() - t0
    print(json.dumps({"examples_per_second": rows / seconds, "threads": a.threads, "histories": a.histories,
                      "examples": rows,
                      "seconds": seconds, "loss": loss_sum / rows}))


if __name__ == "__main__":
    main()
