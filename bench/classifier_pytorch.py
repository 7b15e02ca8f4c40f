#!/usr/bin/python3
"""Reference: the tutorial classifier recipe in Python PyTorch, for bench/classifier_vs_pytorch.sh.

Same data files (read from the same IDX .gz files), same model (784-128-64-10 MLP), same optimizer (Adam 1e-3),
batch 64, 5 epochs, cross-entropy on logits. Prints one JSON line with accuracy and per-epoch seconds.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, _, dtype, rank = struct.unpack(">BBBB", data[:4])
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(data_dir, prefix, kind):
    for name in (f"{prefix}-{kind}", f"{prefix}-{kind}.gz"):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"no {prefix}-{kind} in {data_dir}")


class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    x_train = torch.from_numpy(read_idx(find(args.data, "train", "images-idx3-ubyte")).copy()).float().div_(255).unsqueeze(1)
    y_train = torch.from_numpy(read_idx(find(args.data, "train", "labels-idx1-ubyte")).astype(np.int64))
    x_test = torch.from_numpy(read_idx(find(args.data, "t10k", "images-idx3-ubyte")).copy()).float().div_(255).unsqueeze(1)
    y_test = torch.from_numpy(read_idx(find(args.data, "t10k", "labels-idx1-ubyte")).astype(np.int64))
    # Standardise with the training set's statistics, as reco's models do inside forward().
    mean, std = x_train.mean(), x_train.std()
    x_train = (x_train - mean) / std
    x_test = (x_test - mean) / std
    # The standard tutorial pipeline: a TensorDataset with a shuffling DataLoader.
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train),
                                         batch_size=args.batch_size, shuffle=True)

    model = SimpleNN()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    epoch_seconds = []
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item()
        epoch_seconds.append(time.perf_counter() - t0)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(loader):.4f} {epoch_seconds[-1]:.2f}s", flush=True)

    model.eval()
    with torch.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(json.dumps({"impl": "pytorch", "threads": args.threads, "test_accuracy": acc,
                      "epoch_seconds": epoch_seconds,
                      "samples_per_second": len(y_train) * args.epochs / sum(epoch_seconds)}))


if __name__ == "__main__":
    main()
