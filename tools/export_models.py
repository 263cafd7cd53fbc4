#!/usr/bin/env python3
"""Exports models for `murmur run --model FILE.pt` as TorchScript (needs Debian's python3-torch).

    python3 tools/export_models.py --out models/            # lenet5.pt and resnet8.pt
    python3 tools/export_models.py --out m/ --only lenet5 --seed 3

murmur trains a TorchScript module as it trains a built-in model: it takes the module's
parameters (every peer starts from the weights in the file, so export once and give every peer
the same file), calls forward(inputs) for logits [N, classes], and uses cross-entropy (or
--loss mse against one-hot labels). Buffers such as BatchNorm's running statistics stay local
to each peer; only parameters are gossiped and averaged (the ResNet here uses GroupNorm). Your own model exports the same way:

    model = MyModel()
    torch.jit.save(torch.jit.script(model), "my_model.pt")   # or torch.jit.trace(model, example)
"""

import argparse
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    """murmur's built-in lenet5, layer for layer (same parameter names and shapes)."""

    def __init__(self, channels: int = 1, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def norm(channels: int) -> nn.Module:
    # GroupNorm, not BatchNorm: it has parameters only, so gossip averages all of it, and it does
    # not lean on batch statistics that differ between peers' shards (Hsieh et al. 2020, "The
    # Non-IID Data Quagmire of Decentralized Machine Learning"). A BatchNorm model trains too,
    # but its running statistics are buffers: they stay local to each peer.
    return nn.GroupNorm(8, channels)


class Block(nn.Module):
    """A basic residual block (He et al. 2016): two 3x3 convolutions, GroupNorm, a shortcut."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.norm1 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = norm(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), norm(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR-style ResNet-(6n+2): 16, 32, 64 channels; n = 1 is ResNet-8, n = 3 ResNet-20."""

    def __init__(self, n: int = 1, channels: int = 1, classes: int = 10):
        super().__init__()
        self.conv = nn.Conv2d(channels, 16, 3, padding=1, bias=False)
        self.norm = norm(16)
        layers = []
        cin = 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm(self.conv(x)))
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


MODELS = {
    "lenet5": lambda channels, classes: LeNet5(channels, classes),
    "resnet8": lambda channels, classes: ResNet(1, channels, classes),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory to write MODEL.pt into")
    parser.add_argument("--only", choices=sorted(MODELS), action="append",
                        help="export only this model (repeatable); default: all")
    parser.add_argument("--channels", type=int, default=1,
                        help="input channels: 1 for Fashion-MNIST (default), 3 for CIFAR")
    parser.add_argument("--classes", type=int, default=10, help="output classes (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="initial weights' seed (default 1)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or sorted(MODELS):
        torch.manual_seed(args.seed)
        model = torch.jit.script(MODELS[name](args.channels, args.classes))
        path = os.path.join(args.out, name + ".pt")
        torch.jit.save(model, path)
        count = sum(p.numel() for p in model.parameters())
        print(f"export_models: {path} ({count:,} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
