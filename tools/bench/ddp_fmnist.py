#!/usr/bin/env python3
"""The baseline a user would otherwise pick: torch.distributed DDP (gloo), N CPU processes,
the same LeNet-5, batch, optimizer, warm-up, shards and Fashion-MNIST files as `murmur swarm`.

Prints time to 0.85 / 0.88 test accuracy (rank 0 evaluates the model, which DDP keeps
identical on every rank) and the final accuracy, as JSON with --json. Needs Debian's
python3-torch (apt-get install python3-torch); not used by the tests.

    python3 tools/bench/ddp_fmnist.py --procs 4 --steps 2000 --json

One rank per process, for ranks on different hosts (tools/bench/slow_link.sh runs them in network
namespaces): --rank R --master HOST:PORT [--start-time UNIX]; rank 0 prints the result.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530


def load_idx(directory, split):
    def read(name):
        path = os.path.join(directory, name)
        opener = gzip.open if os.path.exists(path + ".gz") else open
        with opener(path + ".gz" if os.path.exists(path + ".gz") else path, "rb") as f:
            return f.read()

    images = read(f"{split}-images-idx3-ubyte")
    labels = read(f"{split}-labels-idx1-ubyte")
    n, rows, cols = struct.unpack(">III", images[4:16])
    x = np.frombuffer(images, dtype=np.uint8, offset=16).reshape(n, 1, rows, cols)
    y = np.frombuffer(labels, dtype=np.uint8, offset=8).astype(np.int64)
    x = (torch.from_numpy(x.astype(np.float32)) / 255.0 - MEAN) / STD
    return x, torch.from_numpy(y)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def worker(rank, args, master, start, queue):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = master.rsplit(":", 1)
    dist.init_process_group("gloo", rank=rank, world_size=args.procs)
    torch.manual_seed(args.seed)
    x, y = load_idx(args.data, "train")
    tx, ty = load_idx(args.data, "t10k")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(args.seed))
    shard = order[rank * len(x) // args.procs:(rank + 1) * len(x) // args.procs]
    model = nn.parallel.DistributedDataParallel(LeNet5())
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    gen = torch.Generator().manual_seed(args.seed + rank)
    timeline, next_eval = [], 0.0
    perm, cursor = shard[torch.randperm(len(shard), generator=gen)], 0
    for step in range(args.steps):
        if cursor + args.batch > len(perm):
            perm, cursor = shard[torch.randperm(len(shard), generator=gen)], 0
        idx = perm[cursor:cursor + args.batch]
        cursor += args.batch
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / args.warmup)
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
        now = time.time() - start
        if rank == 0 and now >= next_eval:
            timeline.append((now, accuracy(model.module, tx[:args.eval_samples],
                                           ty[:args.eval_samples])))
            next_eval = now + args.eval_interval
    dist.barrier()
    if rank == 0:
        queue.put({"timeline": timeline, "final": accuracy(model.module, tx, ty),
                   "wall": time.time() - start})
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--procs", type=int, default=4)
    p.add_argument("--steps", type=int, default=2000, help="steps per process")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-interval", type=float, default=5.0)
    p.add_argument("--eval-samples", type=int, default=2000)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--json", action="store_true")
    p.add_argument("--rank", type=int, help="run only this rank (with --master)")
    p.add_argument("--master", help="HOST:PORT of rank 0's rendezvous (with --rank)")
    p.add_argument("--start-time", type=float, help="Unix time that reported times count from")
    args = p.parse_args()
    start = args.start_time or time.time()
    if args.rank is not None:
        if not args.master:
            p.error("--rank needs --master HOST:PORT")

        class Result:  # rank 0's result, where the multi-process mode uses a queue
            def put(self, value):
                self.value = value

        result = Result()
        worker(args.rank, args, args.master, start, result)
        if args.rank != 0:
            return
        r = result.value
    else:
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            master = f"127.0.0.1:{s.getsockname()[1]}"
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        mp.start_processes(worker, args=(args, master, start, queue), nprocs=args.procs,
                           join=True, start_method="spawn")
        r = queue.get()
    reach = lambda target: next((t for t, a in r["timeline"] if a >= target), -1)
    out = {"procs": args.procs, "steps_per_proc": args.steps, "test_accuracy": r["final"],
           "wall_seconds": r["wall"], "seconds_to_0.85": reach(0.85),
           "seconds_to_0.88": reach(0.88), "accuracy_timeline": r["timeline"]}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"DDP gloo, {args.procs} processes x {args.steps} steps: test accuracy "
              f"{r['final']:.4f}, 0.85 at {out['seconds_to_0.85']:.1f} s, 0.88 at "
              f"{out['seconds_to_0.88']:.1f} s, wall {r['wall']:.1f} s")


if __name__ == "__main__":
    main()
