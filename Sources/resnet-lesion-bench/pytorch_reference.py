"""PyTorch reference for resnet-lesion-bench: the same CIFAR ResNet workloads, timed the same way.

Run by the benchmark executable; prints one JSON object {"<workload>|<batch>|<layout>": images/s}.
Layouts: eager (NCHW) and channels_last. Medians of --repeats runs of at least --seconds each.
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin
        self.stride = stride

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.stride != 1 or self.pad:
            x = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + x)


class ResNet(nn.Module):
    def __init__(self, depth):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for stage, width in enumerate([16, 32, 64]):
            for b in range(n):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def rate(items, seconds, body):
    body()
    start = time.perf_counter()
    count = 0
    while True:
        body()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return items * count / elapsed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--depth", type=int, default=110)
    p.add_argument("--batch", default="128,1")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seconds", type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    results = {}
    for layout in ["eager", "channels_last"]:
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = ResNet(a.depth).to(memory_format=fmt)
        opt = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
        for batch in [int(b) for b in a.batch.split(",")]:
            x = torch.randn(batch, 3, 32, 32).contiguous(memory_format=fmt)
            y = torch.arange(batch) % 10

            def forward():
                with torch.inference_mode():
                    model(x)

            def input_gradient():
                xi = x.detach().requires_grad_(True)
                F.cross_entropy(model(xi), y).backward(inputs=[xi])

            def training():
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                opt.step()

            model.eval()
            results[f"forward|{batch}|{layout}"] = statistics.median(rate(batch, a.seconds, forward) for _ in range(a.repeats))
            results[f"forward + input gradient|{batch}|{layout}"] = statistics.median(rate(batch, a.seconds, input_gradient) for _ in range(a.repeats))
            model.train()
            results[f"training step|{batch}|{layout}"] = statistics.median(rate(batch, a.seconds, training) for _ in range(a.repeats))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
