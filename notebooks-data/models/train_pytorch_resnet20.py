"""Train a CIFAR-style ResNet-20 in PyTorch itself on the bundled MNIST-5k and save it the way
PyTorch users do, to check resnet-lesion on a checkpoint it did not write.

Run from the repository root (CPU, one thread, a few minutes):

    python3 notebooks-data/models/train_pytorch_resnet20.py

The architecture is akamaster/pytorch_resnet_cifar10 `resnet20` (3 stages x 3 basic blocks, widths
16/32/64, option A shortcuts: x[:, :, ::2, ::2] zero-padded to the new width), with a 1-channel
first convolution for digits. Parameter names are akamaster's (`conv1`, `bn1`, `layer{s}.{b}.*`,
`linear`), and the file is saved as akamaster's training script saves its `.th` files:
`torch.save({'state_dict': DataParallel(model).state_dict(), 'best_prec1': ...})`, so every key
carries the `module.` prefix.

Training: SGD, momentum 0.9, weight decay 5e-4, batch 64, learning rate 0.1 with cosine decay to 0
per iteration, random crops from images zero-padded by 2 pixels (one offset per mini-batch), inputs normalized with the MNIST
statistics (mean 0.1307, std 0.3081 on pixels/255; `--normalize mnist` in resnet-lesion).

Writes notebooks-data/models/pytorch-resnet20-mnist.th and prints the test error, the SHA-256 and,
as a check of resnet-lesion's lesions, the logits of the first test images with the network intact
and with blocks 2 and 5 deleted by skipping their residual branch (the block then outputs
relu(shortcut(x))). `--check-only` recomputes those logits from the saved file without training;
with `--compare DIR` it also compares the logits of the first 100 test images against the ones
`resnet-lesion predict` wrote there (intact.npy, drop_2.npy, drop_5.npy, drop_2_5.npy), e.g.

    resnet-lesion predict --model notebooks-data/models/pytorch-resnet20-mnist.th --normalize mnist \
        --input-size 28 --data mnist-5k --limit 100 --blocks 2,5 --output DIR/drop_2_5.npy
"""

import argparse
import gzip
import hashlib
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "mnist-5k")
OUTPUT = os.path.join(HERE, "pytorch-resnet20-mnist.th")
MEAN, STD = 0.1307, 0.3081


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - MEAN) / STD
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


class LambdaLayer(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class BasicBlock(nn.Module):
    """akamaster's BasicBlock, option A; `deleted` skips the residual branch."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        self.deleted = False
        if stride != 1 or in_planes != planes:
            pad = planes // 4
            self.shortcut = LambdaLayer(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0))

    def forward(self, x):
        if self.deleted:
            return F.relu(self.shortcut(x))
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, num_blocks=(3, 3, 3), num_classes=10, in_channels=1):
        super().__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, num_blocks[0], 1)
        self.layer2 = self._make_layer(32, num_blocks[1], 2)
        self.layer3 = self._make_layer(64, num_blocks[2], 2)
        self.linear = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight)

    def _make_layer(self, planes, count, stride):
        layers = []
        for s in [stride] + [1] * (count - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def blocks(self):
        return [b for layer in (self.layer1, self.layer2, self.layer3) for b in layer]

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, out.size()[3])
        return self.linear(out.view(out.size(0), -1))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x[i : i + 200]) for i in range(0, len(x), 200)])
    return (logits.argmax(1) != y).float().mean().item(), logits


def check(model, x):
    """Logits of the first 3 test images intact and with blocks 2 and 5 (1-based) deleted."""
    model.eval()
    torch.set_printoptions(precision=6, sci_mode=False)
    for deleted in ([], [2], [5], [2, 5]):
        for i, block in enumerate(model.blocks()):
            block.deleted = (i + 1) in deleted
        with torch.no_grad():
            logits = model(x[:3])
        name = "intact" if not deleted else "deleted " + ",".join(map(str, deleted))
        print(f"{name}: logits of test images 0-2:\n{logits.numpy().round(6)}")
    for block in model.blocks():
        block.deleted = False


def compare(model, x, folder):
    """Largest |logit difference| between PyTorch and resnet-lesion predict, per lesion."""
    model.eval()
    for name, deleted in (("intact", []), ("drop_2", [2]), ("drop_5", [5]), ("drop_2_5", [2, 5])):
        for i, block in enumerate(model.blocks()):
            block.deleted = (i + 1) in deleted
        with torch.no_grad():
            torch_logits = model(x[:100]).numpy()
        ours = np.load(os.path.join(folder, name + ".npy"))
        same = (ours.argmax(1) == torch_logits.argmax(1)).mean()
        print(f"{name}: max |logit difference| {np.abs(ours - torch_logits).max():.2e} over {ours.shape}, "
              f"largest |logit| {np.abs(torch_logits).max():.2f}, same prediction {same:.2f}")
    for block in model.blocks():
        block.deleted = False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check-only", action="store_true")
    parser.add_argument("--compare", metavar="DIR", help="with --check-only: folder of resnet-lesion predict outputs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    x_test, y_test = load("test")
    model = ResNet()
    if args.check_only:
        state = torch.load(OUTPUT, map_location="cpu", weights_only=True)["state_dict"]
        model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
        print(f"test error {evaluate(model, x_test, y_test)[0]:.4f}")
        check(model, x_test)
        if args.compare:
            compare(model, x_test, args.compare)
        return

    x_train, y_train = load("train")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    batch = 64
    steps_per_epoch = math.ceil(len(x_train) / batch)
    total = args.epochs * steps_per_epoch
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))
    padded = F.pad(x_train, (2, 2, 2, 2), value=-MEAN / STD)  # zero pixels after normalization
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train))
        running = 0.0
        for step in range(steps_per_epoch):
            index = order[step * batch : (step + 1) * batch]
            dx, dy = np.random.randint(0, 5, size=2)
            inputs = padded[index, :, dy : dy + 28, dx : dx + 28]
            loss = F.cross_entropy(model(inputs), y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item() * len(index)
        error, _ = evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}: train loss {running / len(x_train):.4f}, test error {error:.4f}, {time.time() - start:.0f} s", flush=True)

    error, _ = evaluate(model, x_test, y_test)
    state = {"module." + k: v for k, v in model.state_dict().items()}
    torch.save({"state_dict": state, "best_prec1": 100 * (1 - error)}, OUTPUT)
    digest = hashlib.sha256(open(OUTPUT, "rb").read()).hexdigest()
    print(f"torch {torch.__version__}, seed {args.seed}, {args.epochs} epochs, {time.time() - start:.0f} s")
    print(f"test error {error:.4f} ({round(error * len(y_test))}/{len(y_test)}), {os.path.getsize(OUTPUT)} bytes, SHA-256 {digest}")
    check(model, x_test)


if __name__ == "__main__":
    sys.exit(main())
