#!/usr/bin/python3
"""Reference ONNX models made by Python torch's own exporter, with test inputs and torch's outputs.

Usage: /usr/bin/python3 make_models.py OUTDIR [--only NAME ...]

Writes, for each model NAME (mlp, cnn, seed, din), the ONNX backend-test layout:
    OUTDIR/NAME/model.onnx
    OUTDIR/NAME/test_data_set_K/input_I.pb   (onnx.TensorProto, name = graph input name, in graph-input order)
    OUTDIR/NAME/test_data_set_K/output_I.pb  (torch's outputs, in graph-output order)
plus OUTDIR/models.json (names, inputs, outputs, opset, batch sizes) and OUTDIR/COMPLETE when everything is done.
Exits 77 (CTest's skip code) when this Python lacks torch or onnx: the C++ tests then skip their model cases.
Deterministic: fixed seeds, so repeated runs write identical files.
"""
import argparse
import json
import os
import sys

SKIP = 77
OPSET = 14  # what torch 1.13 emits by default; the C++ exporter uses the same

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"SKIP: {sys.executable} cannot import torch/onnx/numpy ({e}); install python3-torch python3-onnx")
    sys.exit(SKIP)


class Mlp(nn.Module):
    """The tutorial MLP (same layers as reco::nn::SimpleNN): 784 -> 128 -> ReLU -> 64 -> ReLU -> 10."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class SmallCnn(nn.Module):
    """Same layers as reco::nn::SmallCNN, on NCHW [B,1,28,28]."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(64 * 5 * 5, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class Seed(nn.Module):
    """The seed's two-input model: cat(user_input[B,8], item_input[B,8]) -> 128 -> 64 -> 1 -> sigmoid."""

    def __init__(self, user_dim=8, item_dim=8):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(user_dim + item_dim, 128), nn.Linear(128, 64), nn.Linear(64, 1)

    def forward(self, user_input, item_input):
        x = torch.cat([user_input, item_input], dim=1)
        x = torch.relu(self.fc2(torch.relu(self.fc1(x))))
        return torch.sigmoid(self.fc3(x))


class Din(nn.Module):
    """DIN-style CTR model: item+category embeddings, a local activation unit on [h, t, h-t, h*t] scoring every
    history position against the target, masked weighted-sum pooling (no softmax, as in the paper), an MLP with
    PReLU, sigmoid. hist_mask is float 0/1 (1 = real behaviour, 0 = padding)."""

    def __init__(self, n_items=1000, n_cates=100, dim=8):
        super().__init__()
        self.item_emb, self.cate_emb = nn.Embedding(n_items, dim), nn.Embedding(n_cates, dim)
        e = 2 * dim
        self.att = nn.Sequential(nn.Linear(4 * e, 80), nn.Sigmoid(), nn.Linear(80, 40), nn.Sigmoid(),
                                 nn.Linear(40, 1))
        self.mlp = nn.Sequential(nn.Linear(2 * e, 200), nn.PReLU(), nn.Linear(200, 80), nn.PReLU(),
                                 nn.Linear(80, 1))

    def forward(self, hist_item, hist_cate, hist_mask, target_item, target_cate):
        h = torch.cat([self.item_emb(hist_item), self.cate_emb(hist_cate)], dim=-1)        # [B,L,E]
        t = torch.cat([self.item_emb(target_item), self.cate_emb(target_cate)], dim=-1)    # [B,E]
        te = t.unsqueeze(1).expand_as(h)                                                    # [B,L,E]
        w = self.att(torch.cat([h, te, h - te, h * te], dim=-1)).squeeze(-1) * hist_mask  # [B,L]
        pooled = torch.sum(w.unsqueeze(-1) * h, dim=1)                                     # [B,E]
        return torch.sigmoid(self.mlp(torch.cat([pooled, t], dim=-1)))                     # [B,1]


DIN_ITEMS, DIN_CATES, DIN_LEN = 1000, 100, 20


def din_inputs(g, batch):
    lengths = torch.randint(1, DIN_LEN + 1, (batch,), generator=g)
    mask = (torch.arange(DIN_LEN).unsqueeze(0) < lengths.unsqueeze(1)).float()
    hist_item = torch.randint(1, DIN_ITEMS, (batch, DIN_LEN), generator=g) * mask.long()  # padding id 0
    hist_cate = torch.randint(1, DIN_CATES, (batch, DIN_LEN), generator=g) * mask.long()
    return [hist_item, hist_cate, mask, torch.randint(1, DIN_ITEMS, (batch,), generator=g),
            torch.randint(1, DIN_CATES, (batch,), generator=g)]


class RankerDin(nn.Module):
    """The ranker contract of docs/ranker_model.md (random weights): history inputs [H, L] with H = 1 (one user's
    history broadcast over the B targets) or H = B, target inputs [B]; outputs prob [B, 1] and attention [B, L].
    History embedding = cat(item, cate) + type + recency embeddings; the attention unit's first layer is written in
    its factored form (W1+W3)·h + (W2-W3)·t + W4·(h*t), so the history term is computed once per history."""

    def __init__(self, n_items=1000, n_cates=100, dim=8):
        super().__init__()
        e = 2 * dim
        self.item_emb, self.cate_emb = nn.Embedding(n_items, dim), nn.Embedding(n_cates, dim)
        self.type_emb, self.recency_emb = nn.Embedding(5, e), nn.Embedding(16, e)
        self.att_h, self.att_t, self.att_ht = nn.Linear(e, 80, bias=False), nn.Linear(e, 80), nn.Linear(e, 80, bias=False)
        self.att = nn.Sequential(nn.Sigmoid(), nn.Linear(80, 40), nn.Sigmoid(), nn.Linear(40, 1))
        self.mlp = nn.Sequential(nn.Linear(2 * e, 200), nn.PReLU(), nn.Linear(200, 80), nn.PReLU(), nn.Linear(80, 1))

    def forward(self, hist_item, hist_cate, hist_type, hist_recency, hist_mask, target_item, target_cate):
        h = torch.cat([self.item_emb(hist_item), self.cate_emb(hist_cate)], dim=-1)  # [H,L,E]
        h = h + self.type_emb(hist_type) + self.recency_emb(hist_recency)
        t = torch.cat([self.item_emb(target_item), self.cate_emb(target_cate)], dim=-1).unsqueeze(1)  # [B,1,E]
        a = self.att_h(h) + self.att_t(t) + self.att_ht(h * t)                        # [H|B,L,80] + [B,1,80]
        w = self.att(a).squeeze(-1) * hist_mask                                        # [B,L]
        pooled = torch.sum(w.unsqueeze(-1) * h, dim=1)                                 # [B,E]
        return torch.sigmoid(self.mlp(torch.cat([pooled, t.squeeze(1)], dim=-1))), w


RANKER_LEN = 50


def ranker_din_inputs(g, batch):
    lengths = torch.randint(1, RANKER_LEN + 1, (batch,), generator=g)
    mask = (torch.arange(RANKER_LEN).unsqueeze(0) < lengths.unsqueeze(1)).float()
    keep = mask.long()
    return [torch.randint(1, DIN_ITEMS, (batch, RANKER_LEN), generator=g) * keep,
            torch.randint(1, DIN_CATES, (batch, RANKER_LEN), generator=g) * keep,
            torch.randint(1, 5, (batch, RANKER_LEN), generator=g) * keep,
            torch.randint(1, 16, (batch, RANKER_LEN), generator=g) * keep, mask,
            torch.randint(1, DIN_ITEMS, (batch,), generator=g), torch.randint(1, DIN_CATES, (batch,), generator=g)]


RANKER_INPUTS = ["hist_item", "hist_cate", "hist_type", "hist_recency", "hist_mask", "target_item", "target_cate"]


def write_ranker_folder(model_dir):
    """A model folder per docs/ranker_model.md next to the test sets: folder/1/{model.onnx, manifest.json, vocabs}.
    Raw ids: item 5000+k (index k+2), category 1+k (index k+2), user 100+k (index k+2)."""
    version_dir = os.path.join(model_dir, "folder", "1")
    os.makedirs(version_dir, exist_ok=True)
    with open(os.path.join(model_dir, "model.onnx"), "rb") as src, open(os.path.join(version_dir, "model.onnx"), "wb") as dst:
        dst.write(src.read())
    for name, first, size in (("item", 5000, DIN_ITEMS), ("cate", 1, DIN_CATES), ("user", 100, 1000)):
        with open(os.path.join(version_dir, f"{name}_vocab.txt"), "w") as f:
            f.write(f"# reco-vocab v1 name={name} size={size} min_count=1\n")
            for k in range(size - 2):
                f.write(f"{first + k}\t{size - k}\n")
    hist = lambda n, dt, m: {"name": n, "dtype": dt, "shape": ["hist_batch", "hist_len"], "meaning": m}
    manifest = {
        "format": "reco-ranker-v1", "model_kind": "din", "max_history": RANKER_LEN, "emb_dim": 8,
        "inputs": [hist("hist_item", "int64", "item index"), hist("hist_cate", "int64", "category index"),
                   hist("hist_type", "int64", "behaviour type index"), hist("hist_recency", "int64", "recency bucket"),
                   hist("hist_mask", "float32", "1 real, 0 padding"),
                   {"name": "target_item", "dtype": "int64", "shape": ["batch"], "meaning": "candidate item index"},
                   {"name": "target_cate", "dtype": "int64", "shape": ["batch"], "meaning": "candidate category"}],
        "outputs": [{"name": "prob", "dtype": "float32", "shape": ["batch", 1]},
                    {"name": "attention", "dtype": "float32", "shape": ["batch", "hist_len"]}],
        "vocabularies": {"user": "user_vocab.txt", "item": "item_vocab.txt", "cate": "cate_vocab.txt"},
        "metrics": {}, "training": {"events": "random weights (tests/models/make_models.py)", "epochs": 0, "samples": 0},
        "created_at": "2026-11-29T00:00:00Z", "producer": "tests/models/make_models.py",
    }
    with open(os.path.join(version_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


# name -> (module factory, input names, output names, inputs(generator, batch), description)
MODELS = {
    "mlp": (Mlp, ["input"], ["logits"], lambda g, b: [torch.rand(b, 784, generator=g)],
            "tutorial MLP 784-128-64-10, input flat [B,784] pixels in [0,1]"),
    "cnn": (SmallCnn, ["input"], ["logits"], lambda g, b: [torch.rand(b, 1, 28, 28, generator=g)],
            "SmallCNN, input NCHW [B,1,28,28]"),
    "seed": (Seed, ["user_input", "item_input"], ["output"],
             lambda g, b: [torch.randn(b, 8, generator=g), torch.randn(b, 8, generator=g)],
             "two-input seed model cat(user[B,8], item[B,8]) -> 128 -> 64 -> 1 -> sigmoid"),
    "din": (Din, ["hist_item", "hist_cate", "hist_mask", "target_item", "target_cate"], ["prob"], din_inputs,
            f"DIN-style CTR model, L={DIN_LEN}, {DIN_ITEMS} items, {DIN_CATES} categories; ids int64, mask float"),
    "ranker_din": (RankerDin, RANKER_INPUTS, ["prob", "attention"], ranker_din_inputs,
                   f"DIN per docs/ranker_model.md, L={RANKER_LEN}, hist_* [H,L] with H = 1 or B, targets [B]"),
}
# Dynamic axis names where inputs do not all share the batch axis (history rows H vs targets B).
# ranker_din's history axis is dynamic too (hist_len <= L, docs/ranker_model.md), so the online service can feed a
# short history without L padding positions.
AXES = {"ranker_din": {**{n: {0: "hist_batch", 1: "hist_len"} for n in RANKER_INPUTS[:5]},
                       "target_item": {0: "batch"}, "target_cate": {0: "batch"},
                       "prob": {0: "batch"}, "attention": {0: "batch", 1: "hist_len"}}}
BATCHES = [1, 3, 64]  # test_data_set_0, _1, _2


def save_tensor(path, array, name):
    tensor = onnx.numpy_helper.from_array(np.ascontiguousarray(array), name=name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def make(name, outdir):
    factory, in_names, out_names, make_inputs, desc = MODELS[name]
    torch.manual_seed(1234)
    model = factory().eval()
    g = torch.Generator().manual_seed(42)
    model_dir = os.path.join(outdir, name)
    os.makedirs(model_dir, exist_ok=True)
    path = os.path.join(model_dir, "model.onnx")
    example = make_inputs(g, 2)
    axes = AXES.get(name) or {n: {0: "batch_size"} for n in in_names + out_names}
    with torch.no_grad():
        torch.onnx.export(model, tuple(example), path, input_names=in_names, output_names=out_names,
                          dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True)
    onnx_model = onnx.load(path)
    # Same metadata keys as reco's C++ exporter, so `reco inspect` and the server describe both alike.
    for key, value in (("reco.model_kind", name), ("reco.input_semantics", desc),
                       ("reco.source", f"torch.onnx.export (torch {torch.__version__})")):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(onnx_model, path)
    onnx.checker.check_model(onnx_model)
    onnx.shape_inference.infer_shapes(onnx_model, check_type=True, strict_mode=True)
    for k, batch in enumerate(BATCHES):
        inputs = make_inputs(g, batch)
        with torch.no_grad():
            outputs = model(*inputs)
        outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
        set_dir = os.path.join(model_dir, f"test_data_set_{k}")
        os.makedirs(set_dir, exist_ok=True)
        for i, (n, t) in enumerate(zip(in_names, inputs)):
            save_tensor(os.path.join(set_dir, f"input_{i}.pb"), t.numpy(), n)
        for i, (n, t) in enumerate(zip(out_names, outputs)):
            save_tensor(os.path.join(set_dir, f"output_{i}.pb"), t.numpy(), n)
    if name == "ranker_din":
        write_ranker_folder(model_dir)
    ops = sorted({n.op_type for n in onnx_model.graph.node})
    print(f"{name}: {path} ({len(onnx_model.graph.node)} nodes: {', '.join(ops)})")
    return {"name": name, "description": desc, "model": f"{name}/model.onnx", "opset": OPSET,
            "inputs": in_names, "outputs": out_names, "test_data_sets": len(BATCHES), "batch_sizes": BATCHES,
            "ops": ops}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), help="make only these models")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    complete = os.path.join(args.outdir, "COMPLETE")
    if os.path.exists(complete):
        os.remove(complete)
    torch.set_num_threads(1)
    names = args.only or list(MODELS)
    manifest = [make(n, args.outdir) for n in names]
    with open(os.path.join(args.outdir, "models.json"), "w") as f:
        json.dump({"torch": torch.__version__, "onnx": onnx.__version__, "models": manifest}, f, indent=2)
    with open(complete, "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
