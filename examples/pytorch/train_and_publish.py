#!/usr/bin/python3
"""Train a small PyTorch classifier on Fashion-MNIST and publish an ONNX snapshot per epoch to lipwatch.

Every epoch the model is exported with torch.onnx.export (opset 13, dynamic batch) and sent to the topic
lipwatch.snapshots with kcat, carrying the lipwatch.* headers (lipwatch.format=onnx). The estimator bounds its
Lipschitz constant and probes it on the lipwatch.probesets entry named by --dataset (the demo publishes
"fashion-mnist"); the monitor gates every version.

Needs Debian's python3-torch and kcat; data from dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).

  /usr/bin/python3 examples/pytorch/train_and_publish.py --bootstrap localhost:46065 --epochs 5
"""
import argparse
import datetime
import gzip
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import uuid

import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(path + " is not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    t = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return t.reshape(*dims)


def find(data_dir, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(data_dir, stem) + "[.gz] (install dataset-fashion-mnist)")


def model_for(arch):
    if arch == "mlp":
        # input [N, 784]: the same flat layout as lipwatch's probe sets
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), (784,)
    # input [N, 1, 28, 28]
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10)), (1, 28, 28)


def publish(args, path, version, epoch, accuracy, run_id):
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    headers = {
        "lipwatch.model": args.model,
        "lipwatch.version": str(version),
        "lipwatch.sha256": sha,
        "lipwatch.format": "onnx",
        "lipwatch.created-at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lipwatch.dataset": args.dataset,
        "lipwatch.input-range": "0,1",
        "lipwatch.regularizer": "none",
        "lipwatch.epoch": str(epoch),
        "lipwatch.train-accuracy": "%.4f" % accuracy,
        "lipwatch.run-id": run_id,
    }
    cmd = ["kcat", "-P", "-b", args.bootstrap, "-t", "lipwatch.snapshots", "-k", args.model, "-z", "zstd",
           "-X", "message.max.bytes=9437184"]
    for k, v in headers.items():
        cmd += ["-H", k + "=" + v]
    cmd.append(path)
    if args.dry_run:
        print("would run:", " ".join(cmd))
        return
    subprocess.run(cmd, check=True)
    print("published %s v%d (epoch %d, train accuracy %.4f, sha256 %s)" % (args.model, version, epoch, accuracy, sha))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", default="localhost:9092", help="Kafka bootstrap servers")
    p.add_argument("--model", default="pytorch-mlp", help="model name (record key and lipwatch.model)")
    p.add_argument("--arch", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--train-samples", type=int, default=60000, help="first N training images (fewer: faster epochs)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--dataset", default="fashion-mnist", help="probe set name on lipwatch.probesets (lipwatch.dataset)")
    p.add_argument("--out", default=None, help="directory for the ONNX files (default: a temporary directory)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dry-run", action="store_true", help="export, but print the kcat command instead of running it")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    x = read_idx(find(args.data, "train-images-idx3-ubyte"))[:args.train_samples].float() / 255.0
    y = read_idx(find(args.data, "train-labels-idx1-ubyte"))[:args.train_samples].long()
    net, shape = model_for(args.arch)
    x = x.reshape(-1, *shape)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    out = args.out or tempfile.mkdtemp(prefix="lipwatch-pytorch-")
    os.makedirs(out, exist_ok=True)
    run_id = "pytorch-" + uuid.uuid4().hex[:8]
    base_version = int(datetime.datetime.now().timestamp())  # versions increase across runs of the same model
    for epoch in range(1, args.epochs + 1):
        net.train()
        perm = torch.randperm(len(x))
        correct = 0
        for i in range(0, len(x), args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            logits = net(x[idx])
            loss = loss_fn(logits, y[idx])
            loss.backward()
            opt.step()
            correct += int((logits.argmax(1) == y[idx]).sum())
        accuracy = correct / len(x)
        net.eval()
        path = os.path.join(out, "%s-epoch%d.onnx" % (args.model, epoch))
        # softmax at the output, as most deployed classifiers have it: lipwatch drops it (bounds are of the logits)
        exported = nn.Sequential(net, nn.Softmax(dim=1))
        torch.onnx.export(exported, x[:1], path, input_names=["input"], output_names=["probabilities"], opset_version=13,
                          dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}})
        publish(args, path, base_version + epoch, epoch, accuracy, run_id)
    print("ONNX files in", out)


if __name__ == "__main__":
    sys.exit(main())
