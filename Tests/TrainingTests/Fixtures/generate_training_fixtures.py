"""Writes the PyTorch references of Tests/TrainingTests (run from the repository root):

    python3 Tests/TrainingTests/Fixtures/generate_training_fixtures.py

  gradient_paths_steps.safetensors  three SGD steps of gradient-path training on a CIFAR ResNet-14
      (option A, widths 4/8/8, 1×8×8 inputs, 3 classes): model.train(); for the residual blocks
      not chosen in a step the branch output is detached, relu(shortcut(x) + branch(x).detach()),
      so their parameters have grad None and torch.optim.SGD skips them (no momentum, no decay).
  vgg_no_bn.safetensors  a VGG-style net without batch norm (conv with bias - ReLU, widths 4/8/16,
      layers 2,2,1 per stage, 1×12×12 inputs, 3 classes): logits in eval mode and the parameters
      after one SGD step.

Tensors: param.* start weights (PyTorch names and layouts), batch{s}.input (N, C, H, W),
batch{s}.labels, step{s}.loss, step{s}.param.*, step{s}.running_mean.* / running_var.*.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.dirname(os.path.abspath(__file__))
COMMAND = "python3 Tests/TrainingTests/Fixtures/generate_training_fixtures.py"


class Block(nn.Module):
    """akamaster BasicBlock, option A shortcut."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.extra = outputs - inputs
        self.stride = stride

    def forward(self, x, chosen):
        sc = x
        if self.stride != 1 or self.extra:
            sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        b = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if not chosen:
            b = b.detach()
        return F.relu(sc + b)


class ResNet(nn.Module):
    def __init__(self, widths, blocks, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        inputs = widths[0]
        for stage, width in enumerate(widths):
            layer = nn.ModuleList()
            for b in range(blocks):
                layer.append(Block(inputs, width, 2 if stage > 0 and b == 0 else 1))
                inputs = width
            setattr(self, "layer%d" % (stage + 1), layer)
        self.linear = nn.Linear(inputs, classes)
        self.stages = len(widths)

    def forward(self, x, chosen):
        h = F.relu(self.bn1(self.conv1(x)))
        number = 0
        for stage in range(self.stages):
            for block in getattr(self, "layer%d" % (stage + 1)):
                number += 1
                h = block(h, number in chosen)
        return self.linear(h.mean(dim=(2, 3)))


class VGGNoBN(nn.Module):
    def __init__(self, widths, layers, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, widths[0], 3, 1, 1, bias=True)
        self.layers = nn.ModuleList()
        inputs = widths[0]
        for stage, (width, count) in enumerate(zip(widths, layers)):
            for b in range(count):
                module = nn.Module()
                module.conv = nn.Conv2d(inputs, width, 3, 2 if stage > 0 and b == 0 else 1, 1, bias=True)
                self.layers.append(module)
                inputs = width
        self.linear = nn.Linear(inputs, classes)

    def forward(self, x):
        h = F.relu(self.conv1(x))
        for layer in self.layers:
            h = F.relu(layer.conv(h))
        return self.linear(h.mean(dim=(2, 3)))


def initialise(model, generator):
    """Kaiming-normal (fan_in) weights, biases N(0, 0.1²), BN γ in [0.5, 1.5), β N(0, 0.1²)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * math.sqrt(2 / fan_in))
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(module.num_features, generator=generator) * 0.1)


def parameters(model, prefix):
    return {prefix + k: v.detach().clone().float() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked") and "running_" not in k}


def start(model):
    """The whole state dictionary (running statistics included) as `param.*`."""
    return {"param." + k: v.detach().clone().float() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def statistics(model, prefix):
    out = {}
    for k, v in model.state_dict().items():
        if "running_" in k:
            module, kind = k.rsplit(".", 1)
            out["%s%s.%s" % (prefix, kind, module)] = v.detach().clone().float()
    return out


def gradient_paths():
    generator = torch.Generator().manual_seed(1702)
    model = ResNet([4, 8, 8], 2, 3)
    initialise(model, generator)
    tensors = start(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    plans = [[2, 5], [1, 3, 6], [2, 4]]
    model.train()
    for step, chosen in enumerate(plans):
        x = torch.randn(4, 1, 8, 8, generator=generator)
        labels = torch.tensor([0, 2, 1, 2])
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, set(chosen)), labels)
        loss.backward()
        optimizer.step()
        tensors["batch%d.input" % step] = x
        tensors["batch%d.labels" % step] = labels
        tensors["step%d.loss" % step] = loss.detach().reshape(1)
        tensors.update(parameters(model, "step%d.param." % step))
        tensors.update(statistics(model, "step%d." % step))
    metadata = {
        "plans": json.dumps(plans),
        "optimizer": "torch.optim.SGD(lr=0.05, momentum=0.9, weight_decay=5e-4), zero_grad(set_to_none=True)",
        "torch_version": torch.__version__, "command": COMMAND,
    }
    save_file(tensors, os.path.join(OUT, "gradient_paths_steps.safetensors"), metadata)


def vgg_no_bn():
    generator = torch.Generator().manual_seed(1703)
    model = VGGNoBN([4, 8, 16], [2, 2, 1], 3)
    initialise(model, generator)
    tensors = start(model)
    x = torch.randn(4, 1, 12, 12, generator=generator)
    labels = torch.tensor([1, 0, 2, 1])
    model.eval()
    with torch.no_grad():
        tensors["logits"] = model(x)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loss = F.cross_entropy(model(x), labels)
    loss.backward()
    optimizer.step()
    tensors["input"] = x
    tensors["labels"] = labels
    tensors["step0.loss"] = loss.detach().reshape(1)
    tensors.update(parameters(model, "step0.param."))
    metadata = {"torch_version": torch.__version__, "command": COMMAND,
                "config": json.dumps(dict(widths=[4, 8, 16], layers=[2, 2, 1], input=[1, 12, 12], classes=3))}
    save_file(tensors, os.path.join(OUT, "vgg_no_bn.safetensors"), metadata)


if __name__ == "__main__":
    gradient_paths()
    vgg_no_bn()
    for name in ("gradient_paths_steps.safetensors", "vgg_no_bn.safetensors"):
        print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")
