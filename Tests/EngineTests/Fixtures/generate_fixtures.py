#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures for the resnet-lesion engine tests.

Run from the repository root:

    python Tests/EngineTests/Fixtures/generate_fixtures.py

Writes, next to this script:
  <family>.safetensors       for the seven network families (forward, backward, lesion plans,
                             one train-mode forward/backward with BN running-stat updates)
  training_steps.safetensors three SGD steps (plain momentum and Nesterov) on cifar_a
  resnet20.safetensors       a real-size akamaster ResNet-20 layout with random weights

Everything is deterministic: fixed seeds, torch.use_deterministic_algorithms(True), float32, CPU,
one thread. The safetensors files are written by the small writer below (no extra dependency).
Every file records torch_version, seed and command in its __metadata__. See README.md.
"""

import copy
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BASE_SEED = 20160520
COMMAND = "python Tests/EngineTests/Fixtures/generate_fixtures.py"
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
OUTPUT_DIR = os.path.dirname(os.path.abspath(__file__))

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
torch.backends.mkldnn.enabled = False  # plain ATen CPU kernels, same results on any CPU flags


# ---------------------------------------------------------------------------------------------
# safetensors writer (format: 8-byte LE header length, JSON header padded with spaces to a
# multiple of 8, then raw little-endian C-order tensor data, offsets relative to the data start)
# ---------------------------------------------------------------------------------------------

_DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata):
    """Write `tensors` (name -> torch.Tensor) and string `metadata` to `path`."""
    for key, value in metadata.items():
        assert isinstance(key, str) and isinstance(value, str), key
    # 8-byte dtypes first so every tensor starts 8-byte aligned; then by name.
    def sort_key(name):
        t = tensors[name]
        return (-t.element_size(), name)

    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors, key=sort_key):
        t = tensors[name].detach().cpu().contiguous()
        dtype_name, numpy_dtype = _DTYPES[t.dtype]
        data = np.ascontiguousarray(t.numpy().astype(numpy_dtype, copy=False)).tobytes(order="C")
        header[name] = {"dtype": dtype_name, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Read back a file written above (used to verify the writer); returns (tensors, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + length
    inverse = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    end = 0
    for name, info in header.items():
        begin, stop = info["data_offsets"]
        end = max(end, stop)
        array = np.frombuffer(raw[base + begin:base + stop], dtype=inverse[info["dtype"]])
        tensors[name] = torch.from_numpy(array.copy().reshape(info["shape"]))
    assert base + end == len(raw), path
    return tensors, metadata


# ---------------------------------------------------------------------------------------------
# Blocks. Each block exposes run(x, deleted, detach_branch) implementing the plan semantics.
# ---------------------------------------------------------------------------------------------

def conv3x3(inputs, outputs, stride=1):
    return nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False)


def conv1x1(inputs, outputs, stride=1):
    return nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False)


def option_a_shortcut(x, outputs):
    """akamaster option A: subsample by 2, zero-pad channels (before: d//2, after: d - d//2)."""
    inputs = x.shape[1]
    extra = outputs - inputs
    sub = x[:, :, ::2, ::2]
    return F.pad(sub, (0, 0, 0, 0, extra // 2, extra - extra // 2))


class PostActBasicBlock(nn.Module):
    """conv1-bn1-ReLU-conv2-bn2, + shortcut (identity / option A / option B), ReLU."""

    def __init__(self, inputs, outputs, stride, shortcut):
        super().__init__()
        self.conv1 = conv3x3(inputs, outputs, stride)
        self.bn1 = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.conv2 = conv3x3(outputs, outputs)
        self.bn2 = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.changes_shape = stride != 1 or inputs != outputs
        self.shortcut_kind = shortcut if self.changes_shape else "identity"
        self.outputs = outputs
        if self.shortcut_kind == "B":
            self.downsample = nn.Sequential(conv1x1(inputs, outputs, stride),
                                            nn.BatchNorm2d(outputs, eps=BN_EPS))
        elif self.shortcut_kind == "A":
            assert stride == 2
        self.is_residual = True

    def shortcut(self, x):
        if self.shortcut_kind == "identity":
            return x
        if self.shortcut_kind == "A":
            return option_a_shortcut(x, self.outputs)
        return self.downsample(x)

    def branch(self, x):
        return self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))

    def run(self, x, deleted, detach_branch):
        sc = self.shortcut(x)
        if deleted:
            return F.relu(sc)
        b = self.branch(x)
        if detach_branch:
            b = b.detach()
        return F.relu(sc + b)


class BottleneckBlock(nn.Module):
    """torchvision Bottleneck (v1.5, stride on conv2), expansion 4, option-B downsample."""

    expansion = 4

    def __init__(self, inputs, planes, stride):
        super().__init__()
        outputs = planes * self.expansion
        self.conv1 = conv1x1(inputs, planes)
        self.bn1 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.conv3 = conv1x1(planes, outputs)
        self.bn3 = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.changes_shape = stride != 1 or inputs != outputs
        if self.changes_shape:
            self.downsample = nn.Sequential(conv1x1(inputs, outputs, stride),
                                            nn.BatchNorm2d(outputs, eps=BN_EPS))
        self.is_residual = True

    def shortcut(self, x):
        return self.downsample(x) if self.changes_shape else x

    def branch(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return self.bn3(self.conv3(h))

    def run(self, x, deleted, detach_branch):
        sc = self.shortcut(x)
        if deleted:
            return F.relu(sc)
        b = self.branch(x)
        if detach_branch:
            b = b.detach()
        return F.relu(sc + b)


class PreActBlock(nn.Module):
    """kuangliu PreActBlock: pre = relu(bn1(x)); out = conv2(relu(bn2(conv1(pre)))) + sc."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs, eps=BN_EPS)
        self.conv1 = conv3x3(inputs, outputs, stride)
        self.bn2 = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.conv2 = conv3x3(outputs, outputs)
        self.changes_shape = stride != 1 or inputs != outputs
        if self.changes_shape:
            self.shortcut = nn.Sequential(conv1x1(inputs, outputs, stride))
        self.is_residual = True

    def run(self, x, deleted, detach_branch):
        if self.changes_shape:
            pre = F.relu(self.bn1(x))
            sc = self.shortcut(pre)
        else:
            sc = x
        if deleted:
            return sc
        if not self.changes_shape:
            pre = F.relu(self.bn1(x))
        b = self.conv2(F.relu(self.bn2(self.conv1(pre))))
        if detach_branch:
            b = b.detach()
        return sc + b


class PlainBlock(nn.Module):
    """cifar_a layout without shortcut: conv1-bn1-ReLU-conv2-bn2-ReLU."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = conv3x3(inputs, outputs, stride)
        self.bn1 = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.conv2 = conv3x3(outputs, outputs)
        self.bn2 = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.changes_shape = stride != 1 or inputs != outputs
        self.is_residual = False

    def run(self, x, deleted, detach_branch):
        assert not detach_branch, "restriction is not defined for plain networks"
        if deleted:
            assert not self.changes_shape
            return x
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class VGGLayer(nn.Module):
    """One VGG layer: conv (3x3 p1, no bias) - bn - ReLU."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv = conv3x3(inputs, outputs, stride)
        self.bn = nn.BatchNorm2d(outputs, eps=BN_EPS)
        self.changes_shape = stride != 1 or inputs != outputs
        self.is_residual = False

    def run(self, x, deleted, detach_branch):
        assert not detach_branch, "restriction is not defined for plain networks"
        if deleted:
            assert not self.changes_shape
            return x
        return F.relu(self.bn(self.conv(x)))


# ---------------------------------------------------------------------------------------------
# Networks. `blocks()` returns the blocks in forward order (block number k = index k-1).
# ---------------------------------------------------------------------------------------------

class Network(nn.Module):
    """Stem, an ordered list of blocks, head. Subclasses define modules, stem() and head()."""

    def blocks(self):
        raise NotImplementedError

    def block_names(self):
        raise NotImplementedError

    def forward(self, x, plan=None, capture=None):
        count = len(self.blocks())
        order = plan["order"] if plan else list(range(1, count + 1))
        deleted = set(plan["deleted"]) if plan else set()
        restricted = plan["restricted"] if plan else None
        assert sorted(order) == list(range(1, count + 1)), order
        h = self.stem(x)
        if capture is not None:
            h.retain_grad()
            capture["block1_input"] = h
        shapes = getattr(self, "block_shapes", None)
        for number in order:
            block = self.blocks()[number - 1]
            if shapes is not None:
                assert tuple(h.shape[1:]) == shapes[number - 1][0], (number, h.shape)
            detach = restricted is not None and number not in restricted
            h = block.run(h, number in deleted, detach)
            if shapes is not None:
                assert tuple(h.shape[1:]) == shapes[number - 1][1], (number, h.shape)
        return self.head(h)

    def record_shapes(self, x):
        """Remember each block's intact input/output shape (C, H, W) to validate plans."""
        shapes = []
        with torch.no_grad():
            h = self.stem(x)
            for block in self.blocks():
                before = tuple(h.shape[1:])
                h = block.run(h, False, False)
                shapes.append((before, tuple(h.shape[1:])))
        self.block_shapes = shapes
        return shapes


class CifarResNet(Network):
    """CIFAR ResNet: 3x3 stem + bn + ReLU, stages layer1..3, global average pool, linear/fc."""

    def __init__(self, in_channels, widths, blocks_per_stage, classes, kind, shortcut, head_name):
        super().__init__()
        self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0], eps=BN_EPS)
        inputs = widths[0]
        self.stage_names = []
        for index, (width, count) in enumerate(zip(widths, blocks_per_stage)):
            layer = nn.ModuleList()
            for b in range(count):
                stride = 2 if (index > 0 and b == 0) else 1
                if kind == "plain":
                    layer.append(PlainBlock(inputs, width, stride))
                else:
                    layer.append(PostActBasicBlock(inputs, width, stride, shortcut))
                inputs = width
            name = "layer%d" % (index + 1)
            setattr(self, name, layer)
            self.stage_names.append(name)
        self.head_name = head_name
        setattr(self, head_name, nn.Linear(inputs, classes))

    def blocks(self):
        return [b for name in self.stage_names for b in getattr(self, name)]

    def block_names(self):
        return ["%s.%d" % (name, i) for name in self.stage_names
                for i in range(len(getattr(self, name)))]

    def stem(self, x):
        return F.relu(self.bn1(self.conv1(x)))

    def head(self, h):
        return getattr(self, self.head_name)(h.mean(dim=(2, 3)))


class PreActResNet(Network):
    """kuangliu-style PreActResNet: conv1 stem (no BN), pre-activation blocks, bn-ReLU, linear."""

    def __init__(self, in_channels, widths, blocks_per_stage, classes):
        super().__init__()
        self.conv1 = conv3x3(in_channels, widths[0])
        inputs = widths[0]
        self.stage_names = []
        for index, (width, count) in enumerate(zip(widths, blocks_per_stage)):
            layer = nn.ModuleList()
            for b in range(count):
                stride = 2 if (index > 0 and b == 0) else 1
                layer.append(PreActBlock(inputs, width, stride))
                inputs = width
            name = "layer%d" % (index + 1)
            setattr(self, name, layer)
            self.stage_names.append(name)
        self.bn = nn.BatchNorm2d(inputs, eps=BN_EPS)
        self.linear = nn.Linear(inputs, classes)

    def blocks(self):
        return [b for name in self.stage_names for b in getattr(self, name)]

    def block_names(self):
        return ["%s.%d" % (name, i) for name in self.stage_names
                for i in range(len(getattr(self, name)))]

    def stem(self, x):
        return self.conv1(x)

    def head(self, h):
        return self.linear(F.relu(self.bn(h)).mean(dim=(2, 3)))


class ImageNetResNet(Network):
    """torchvision ResNet: 7x7/2 stem + bn + ReLU + 3x3/2 max pool, layer1..4, avg pool, fc."""

    def __init__(self, in_channels, planes, blocks_per_stage, classes, bottleneck):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes[0], 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(planes[0], eps=BN_EPS)
        inputs = planes[0]
        self.stage_names = []
        for index, (width, count) in enumerate(zip(planes, blocks_per_stage)):
            layer = nn.ModuleList()
            for b in range(count):
                stride = 2 if (index > 0 and b == 0) else 1
                if bottleneck:
                    layer.append(BottleneckBlock(inputs, width, stride))
                    inputs = width * BottleneckBlock.expansion
                else:
                    layer.append(PostActBasicBlock(inputs, width, stride, "B"))
                    inputs = width
            name = "layer%d" % (index + 1)
            setattr(self, name, layer)
            self.stage_names.append(name)
        self.fc = nn.Linear(inputs, classes)

    def blocks(self):
        return [b for name in self.stage_names for b in getattr(self, name)]

    def block_names(self):
        return ["%s.%d" % (name, i) for name in self.stage_names
                for i in range(len(getattr(self, name)))]

    def stem(self, x):
        return F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, stride=2, padding=1)

    def head(self, h):
        return self.fc(h.mean(dim=(2, 3)))


class VGGNet(Network):
    """VGG-style plain stack: stem conv1-bn1-ReLU, layers.{i} conv-bn-ReLU, avg pool, linear."""

    def __init__(self, in_channels, widths, layers_per_stage, classes):
        super().__init__()
        self.conv1 = conv3x3(in_channels, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0], eps=BN_EPS)
        self.layers = nn.ModuleList()
        inputs = widths[0]
        for index, (width, count) in enumerate(zip(widths, layers_per_stage)):
            for b in range(count):
                stride = 2 if (index > 0 and b == 0) else 1
                self.layers.append(VGGLayer(inputs, width, stride))
                inputs = width
        self.linear = nn.Linear(inputs, classes)

    def blocks(self):
        return list(self.layers)

    def block_names(self):
        return ["layers.%d" % i for i in range(len(self.layers))]

    def stem(self, x):
        return F.relu(self.bn1(self.conv1(x)))

    def head(self, h):
        return self.linear(h.mean(dim=(2, 3)))


# ---------------------------------------------------------------------------------------------
# Deterministic initialisation
# ---------------------------------------------------------------------------------------------

def initialise(model, generator):
    """Kaiming-normal conv/linear weights, small linear bias, BN that is never the identity.

    Tensors are drawn in state_dict order from one generator, so the result depends only on
    the seed and the architecture.
    """
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator)
                                    * math.sqrt(2.0 / fan_in))
            elif isinstance(module, nn.Linear):
                fan_in = module.weight.shape[1]
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator)
                                    * math.sqrt(2.0 / fan_in))
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
            elif isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                module.momentum = BN_MOMENTUM


def bn_modules(model):
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]


def state_tensors(model):
    """Every state_dict tensor except num_batches_tracked, as float32 copies."""
    return {k: v.detach().clone().float() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


# ---------------------------------------------------------------------------------------------
# Running a plan: logits, loss and all gradients
# ---------------------------------------------------------------------------------------------

def run_plan(model, x, labels, plan):
    """Forward + backward of the mean cross-entropy; returns a dict of result tensors."""
    for p in model.parameters():
        p.grad = None
    x = x.detach().clone().requires_grad_(True)
    capture = {}
    logits = model(x, plan, capture)
    loss = F.cross_entropy(logits, labels, reduction="mean")
    loss.backward()
    out = {"logits": logits.detach().clone(), "loss": loss.detach().clone(),
           "grad.input": x.grad.detach().clone(),
           "grad.block1_input": capture["block1_input"].grad.detach().clone()}
    for name, p in model.named_parameters():
        grad = p.grad if p.grad is not None else torch.zeros_like(p)
        out["grad.param." + name] = grad.detach().clone()
    return out


def worst_ratio(result32, result64):
    """max over all tensors of |a32 - a64| / (1e-4 + 1e-4 |a64|): < 1 means within tolerance."""
    worst = 0.0
    where = ""
    for key, a in result32.items():
        b = result64[key].double()
        ratio = ((a.double() - b).abs() / (1e-4 + 1e-4 * b.abs())).max().item() if a.numel() else 0
        if ratio > worst:
            worst, where = ratio, key
    return worst, where


def max_abs_diff(a, b):
    return (a.double() - b.double()).abs().max().item()


def grads_differ(r1, r2, threshold=1e-5):
    return any(max_abs_diff(r1[k], r2[k]) > threshold for k in r1 if k.startswith("grad."))


def grads_equal(r1, r2, tolerance=0.0):
    return all(max_abs_diff(r1[k], r2[k]) <= tolerance for k in r1 if k.startswith("grad."))


# ---------------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------------

def family_specs():
    """The seven families: constructor, config for metadata, batch, plans."""
    specs = []

    def plan(order, deleted=(), restricted=None):
        return {"order": list(order), "deleted": sorted(deleted),
                "restricted": None if restricted is None else sorted(restricted)}

    six = list(range(1, 7))
    swap12 = [2, 1, 3, 4, 5, 6]

    specs.append(dict(
        family="cifar_a",
        build=lambda: CifarResNet(3, [4, 8, 16], [2, 2, 2], 5, "basic", "A", "linear"),
        input=[3, 12, 12], classes=5, batch=3,
        config=dict(stage_widths=[4, 8, 16], blocks_per_stage=[2, 2, 2], shortcut="A",
                    block_kind="basic", stem="cifar", head="linear"),
        plans={"intact": plan(six), "deleted": plan(six, {2, 3}),
               "reordered": plan(swap12), "restricted": plan(six, restricted={1, 4}),
               "restricted_none": plan(six, restricted=set())},
        skipped={}))
    specs.append(dict(
        family="cifar_b",
        build=lambda: CifarResNet(1, [4, 8, 16], [2, 2, 2], 4, "basic", "B", "fc"),
        input=[1, 10, 10], classes=4, batch=3,
        config=dict(stage_widths=[4, 8, 16], blocks_per_stage=[2, 2, 2], shortcut="B",
                    block_kind="basic", stem="cifar", head="fc"),
        plans={"intact": plan(six), "deleted": plan(six, {2, 3}),
               "reordered": plan(swap12), "restricted": plan(six, restricted={1, 4})},
        skipped={}))
    specs.append(dict(
        family="preact",
        build=lambda: PreActResNet(3, [4, 8, 16], [2, 2, 2], 5),
        input=[3, 8, 8], classes=5, batch=3,
        config=dict(stage_widths=[4, 8, 16], blocks_per_stage=[2, 2, 2], shortcut="projection",
                    block_kind="preact", stem="cifar_conv_only", head="bn+linear"),
        plans={"intact": plan(six), "deleted": plan(six, {2, 3}),
               "reordered": plan(swap12), "restricted": plan(six, restricted={1, 4}),
               "restricted_none": plan(six, restricted=set())},
        skipped={}))
    four = [1, 2, 3, 4]
    specs.append(dict(
        family="imagenet_basic",
        build=lambda: ImageNetResNet(3, [4, 8, 16, 32], [1, 1, 1, 1], 6, bottleneck=False),
        input=[3, 33, 33], classes=6, batch=3,
        config=dict(stage_widths=[4, 8, 16, 32], blocks_per_stage=[1, 1, 1, 1], shortcut="B",
                    block_kind="basic", stem="imagenet", head="fc"),
        plans={"intact": plan(four), "deleted": plan(four, {1, 3}),
               "restricted": plan(four, restricted={1, 4})},
        skipped={"reordered": "no two blocks have the same input and output shape "
                              "(one block per stage; blocks 2-4 change channels and stride)"}))
    five = [1, 2, 3, 4, 5]
    specs.append(dict(
        family="imagenet_bottleneck",
        build=lambda: ImageNetResNet(3, [2, 4, 8, 16], [1, 2, 1, 1], 6, bottleneck=True),
        # batch 8, not 3: layer4 is 1x1, so train-mode BN there normalises over `batch` values
        # only; with 3 values a near-zero batch variance made even PyTorch's float32 gradients
        # 1-4x the test tolerance away from float64 (measured); with 8 it is <= 0.3x.
        input=[3, 32, 32], classes=6, batch=8,
        config=dict(stage_widths=[8, 16, 32, 64], planes=[2, 4, 8, 16], expansion=4,
                    blocks_per_stage=[1, 2, 1, 1], shortcut="B", block_kind="bottleneck",
                    stem="imagenet", head="fc"),
        plans={"intact": plan(five), "deleted": plan(five, {1, 3}),
               "restricted": plan(five, restricted={1, 4})},
        skipped={"reordered": "no two blocks have the same input and output shape (block 3, "
                              "layer2.1, is the only identity block; block 2 changes 8->16 "
                              "channels and stride 2), so the only valid order is 1..5"}))
    specs.append(dict(
        family="plain_cifar",
        build=lambda: CifarResNet(3, [4, 8, 16], [2, 2, 2], 5, "plain", "none", "linear"),
        input=[3, 12, 12], classes=5, batch=3,
        config=dict(stage_widths=[4, 8, 16], blocks_per_stage=[2, 2, 2], shortcut="none",
                    block_kind="plain", stem="cifar", head="linear"),
        plans={"intact": plan(six), "deleted": plan(six, {4}), "reordered": plan(swap12)},
        skipped={"restricted": "restriction is not defined for plain networks"}))
    specs.append(dict(
        family="vgg",
        build=lambda: VGGNet(3, [4, 8, 16], [2, 2, 2], 5),
        input=[3, 12, 12], classes=5, batch=3,
        config=dict(stage_widths=[4, 8, 16], blocks_per_stage=[2, 2, 2], shortcut="none",
                    block_kind="vgg", stem="cifar", head="linear"),
        plans={"intact": plan(six), "deleted": plan(six, {4}), "reordered": plan(swap12)},
        skipped={"restricted": "restriction is not defined for plain networks"}))
    return specs


def block_parameter_keys(model, number):
    prefix = model.block_names()[number - 1] + "."
    return ["grad.param." + k for k, _ in model.named_parameters() if k.startswith(prefix)]


def shared_parameter_keys(model, number):
    """Parameters of block `number` that stay live when its branch is removed or detached:
    option-B downsample, pre-activation projection shortcut and the bn1 feeding it."""
    block = model.blocks()[number - 1]
    keys = [k for k in block_parameter_keys(model, number)
            if ".downsample." in k or ".shortcut." in k]
    if isinstance(block, PreActBlock) and block.changes_shape:
        keys += [k for k in block_parameter_keys(model, number) if ".bn1." in k]
    return keys


def branch_parameter_keys(model, number):
    """Parameters of block `number` used only by its branch (plain blocks: all of them)."""
    shared = set(shared_parameter_keys(model, number))
    keys = [k for k in block_parameter_keys(model, number) if k not in shared]
    assert keys, number
    return keys


def block_table(model, shapes):
    """Per-block description for the metadata: number, key prefix, shapes, downsampling."""
    rows = []
    for number, (name, block, (before, after)) in enumerate(
            zip(model.block_names(), model.blocks(), shapes), start=1):
        rows.append({"number": number, "prefix": name, "input": list(before),
                     "output": list(after), "changes_shape": bool(block.changes_shape)})
    return rows


def make_family(index, spec, summary):
    family = spec["family"]
    seed = BASE_SEED + index
    generator = torch.Generator().manual_seed(seed)
    model = spec["build"]()
    initialise(model, generator)
    model.eval()
    c, h, w = spec["input"]
    x = torch.randn(spec["batch"], c, h, w, generator=generator)
    labels = torch.randint(0, spec["classes"], (spec["batch"],), generator=generator)
    shapes = model.record_shapes(x)

    tensors = {"param." + k: v for k, v in state_tensors(model).items()}
    tensors["input"] = x.clone()
    tensors["labels"] = labels.clone()

    model64 = copy.deepcopy(model).double()
    results = {}
    worst = (0.0, "")
    accuracy = {}
    for name, plan in spec["plans"].items():
        results[name] = run_plan(model, x, labels, plan)
        ratio, where = worst_ratio(results[name], run_plan(model64, x.double(), labels, plan))
        accuracy[name] = [round(ratio, 4), where]
        if ratio > worst[0]:
            worst = (ratio, "%s.%s" % (name, where))
        for key, value in results[name].items():
            tensors["%s.%s" % (name, key)] = value

    # --- self-checks: every lesion changes something, restriction to all blocks is a no-op ---
    intact = results["intact"]
    count = len(model.blocks())
    for name in ("deleted", "reordered"):
        if name in results:
            diff = max_abs_diff(results[name]["logits"], intact["logits"])
            assert diff > 1e-3, (family, name, diff)
    for name in ("restricted", "restricted_none"):
        if name in results:
            assert torch.equal(results[name]["logits"], intact["logits"]), (family, name)
            assert grads_differ(results[name], intact), (family, name)
    if "restricted_none" in results:
        assert grads_differ(results["restricted_none"], results["restricted"]), family
    if any(block.is_residual for block in model.blocks()):
        everything = {"order": list(range(1, count + 1)), "deleted": [],
                      "restricted": list(range(1, count + 1))}
        restricted_all = run_plan(model, x, labels, everything)
        assert grads_equal(restricted_all, intact, tolerance=1e-7), family
        assert torch.equal(restricted_all["logits"], intact["logits"]), family
    # blocks outside the restricted set: their branch-only parameters get exactly zero gradient
    for name in ("restricted", "restricted_none"):
        if name not in results:
            continue
        outside = [n for n in range(1, count + 1) if n not in spec["plans"][name]["restricted"]]
        assert outside, (family, name)
        for number in outside:
            for key in branch_parameter_keys(model, number):
                assert not results[name][key].any(), (family, name, key)
            for key in shared_parameter_keys(model, number):
                assert results[name][key].any(), (family, name, key)
    # deleted blocks' branch parameters get exactly zero gradient
    for number in spec["plans"]["deleted"]["deleted"]:
        for key in branch_parameter_keys(model, number):
            assert not results["deleted"][key].any(), (family, key)
        for key in shared_parameter_keys(model, number):
            assert results["deleted"][key].any(), (family, key)

    # --- train mode: intact plan, batch statistics, running-stat update ---
    train_model = copy.deepcopy(model)
    train_model.train()
    train = run_plan(train_model, x, labels, spec["plans"]["intact"])
    train64_model = copy.deepcopy(model).double()
    train64_model.train()
    ratio, where = worst_ratio(train, run_plan(train64_model, x.double(), labels,
                                               spec["plans"]["intact"]))
    accuracy["train"] = [round(ratio, 4), where]
    if ratio > worst[0]:
        worst = (ratio, "train." + where)
    for key, value in train.items():
        tensors["train." + key] = value
    assert max_abs_diff(train["logits"], intact["logits"]) > 1e-3, family
    for name, bn in bn_modules(train_model):
        tensors["train.running_mean." + name] = bn.running_mean.detach().clone()
        tensors["train.running_var." + name] = bn.running_var.detach().clone()
        original = dict(bn_modules(model))[name]
        assert not torch.equal(bn.running_mean, original.running_mean), name
        assert not torch.equal(bn.running_var, original.running_var), name

    config = dict(input=spec["input"], classes=spec["classes"], batch=spec["batch"],
                  bn_eps=BN_EPS, bn_momentum=BN_MOMENTUM, **spec["config"])
    metadata = {
        "family": family,
        "config": json.dumps(config),
        "plans": json.dumps(spec["plans"]),
        "skipped_plans": json.dumps(spec["skipped"]),
        "blocks": json.dumps(block_table(model, shapes)),
        "train": json.dumps({"plan": "intact", "mode": "model.train(): batch statistics, "
                             "biased variance for normalisation; running stats updated once "
                             "with momentum 0.1 and unbiased batch variance"}),
        "loss": "F.cross_entropy(logits, labels, reduction='mean'); model.eval() for plans",
        "float32_check": json.dumps({
            "meaning": "per result group: max over its tensors of |float32 - float64| / "
                       "(1e-4 + 1e-4*|float64|) and the worst key; the float64 run uses the "
                       "same float32 parameters and inputs",
            "groups": accuracy}),
        "torch_version": torch.__version__,
        "seed": str(seed),
        "command": COMMAND,
    }
    path = os.path.join(OUTPUT_DIR, family + ".safetensors")
    write_safetensors(path, tensors, metadata)
    verify_file(path, tensors, metadata)
    summary.append((family, path, worst))
    return model, x, labels


def verify_file(path, tensors, metadata):
    back, meta = read_safetensors(path)
    assert meta == metadata, path
    assert set(back) == set(tensors), path
    for key, value in tensors.items():
        assert back[key].dtype == value.dtype and torch.equal(back[key], value), key
    try:  # cross-check with the reference reader when it is installed (optional)
        from safetensors import safe_open
    except ImportError:
        return
    with safe_open(path, framework="pt") as f:
        assert f.metadata() == metadata
        for key in f.keys():
            assert torch.equal(f.get_tensor(key), tensors[key]), key


# ---------------------------------------------------------------------------------------------
# Training steps (SGD with momentum / Nesterov and weight decay) on cifar_a
# ---------------------------------------------------------------------------------------------

SGD_SETTINGS = dict(lr=0.05, momentum=0.9, weight_decay=5e-4, dampening=0.0)


def train_steps(model, batches, nesterov, prefix, tensors):
    model = copy.deepcopy(model)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), nesterov=nesterov, **SGD_SETTINGS)
    losses = []
    for step, (x, labels) in enumerate(batches):
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, labels, reduction="mean")
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if tensors is not None:
            tensors["%sstep%d.loss" % (prefix, step)] = loss.detach().clone()
            for name, p in model.named_parameters():
                tensors["%sstep%d.param.%s" % (prefix, step, name)] = p.detach().clone()
            for name, bn in bn_modules(model):
                tensors["%sstep%d.running_mean.%s" % (prefix, step, name)] = \
                    bn.running_mean.detach().clone()
                tensors["%sstep%d.running_var.%s" % (prefix, step, name)] = \
                    bn.running_var.detach().clone()
    return model, losses


def make_training_steps(cifar_a_model, summary):
    seed = BASE_SEED + 100
    generator = torch.Generator().manual_seed(seed)
    batches = []
    tensors = {"param." + k: v for k, v in state_tensors(cifar_a_model).items()}
    for i in range(3):
        x = torch.randn(4, 3, 12, 12, generator=generator)
        labels = torch.randint(0, 5, (4,), generator=generator)
        batches.append((x, labels))
        tensors["batch%d.input" % i] = x.clone()
        tensors["batch%d.labels" % i] = labels.clone()
    worst = (0.0, "")
    for nesterov, prefix in ((False, ""), (True, "nesterov.")):
        model, _ = train_steps(cifar_a_model, batches, nesterov, prefix, tensors)
        model64, _ = train_steps(copy.deepcopy(cifar_a_model).double(),
                                 [(x.double(), y) for x, y in batches], nesterov, prefix, None)
        final32 = dict(model.named_parameters())
        for name, p64 in model64.named_parameters():
            diff = ((final32[name].double() - p64).abs()
                    / (1e-4 + 1e-4 * p64.abs())).max().item()
            if diff > worst[0]:
                worst = (diff, prefix + "step2.param." + name)
    # Nesterov steps by (1 + momentum) * g on the first step (empty buffer), plain momentum by
    # g, so the two runs differ from step 0 on; and every run must move the weights.
    for step in range(3):
        key = "step%d.param.conv1.weight" % step
        assert max_abs_diff(tensors[key], tensors["nesterov." + key]) > 1e-6, key
    assert max_abs_diff(tensors["step0.param.conv1.weight"], tensors["param.conv1.weight"]) > 1e-4
    metadata = {
        "family": "cifar_a",
        "config": json.dumps(dict(input=[3, 12, 12], classes=5, batch=4, stage_widths=[4, 8, 16],
                                  blocks_per_stage=[2, 2, 2], shortcut="A", block_kind="basic",
                                  bn_eps=BN_EPS, bn_momentum=BN_MOMENTUM)),
        "optimizer": json.dumps(dict(name="torch.optim.SGD", lr=0.05, momentum=0.9,
                                     dampening=0.0, weight_decay=5e-4,
                                     nesterov={"": False, "nesterov.": True},
                                     weight_decay_applies_to="all trainable parameters "
                                     "(conv, BN weight and bias, linear weight and bias)",
                                     steps=3, mode="model.train()",
                                     loss="F.cross_entropy mean")),
        "initial_weights": "param.* = the cifar_a.safetensors param.* (same seed and init)",
        "torch_version": torch.__version__,
        "seed": str(seed),
        "command": COMMAND,
    }
    path = os.path.join(OUTPUT_DIR, "training_steps.safetensors")
    write_safetensors(path, tensors, metadata)
    verify_file(path, tensors, metadata)
    summary.append(("training_steps", path, worst))


# ---------------------------------------------------------------------------------------------
# Whole-model fixture: akamaster ResNet-20 layout with random weights
# ---------------------------------------------------------------------------------------------

def make_resnet20(summary):
    seed = BASE_SEED + 200
    generator = torch.Generator().manual_seed(seed)
    model = CifarResNet(3, [16, 32, 64], [3, 3, 3], 10, "basic", "A", "linear")
    initialise(model, generator)
    model.eval()
    x = torch.randn(2, 3, 32, 32, generator=generator)
    model.record_shapes(x)
    trainable = sum(p.numel() for p in model.parameters())
    assert trainable == 269722, trainable
    intact_plan = {"order": list(range(1, 10)), "deleted": [], "restricted": None}
    drop_plan = {"order": list(range(1, 10)), "deleted": [5, 9], "restricted": None}
    with torch.no_grad():
        intact = model(x, intact_plan)
        dropped = model(x, drop_plan)
        model64 = copy.deepcopy(model).double()
        worst = (0.0, "")
        for name, ref32, plan in (("intact", intact, intact_plan), ("drop_5_9", dropped,
                                                                    drop_plan)):
            ref64 = model64(x.double(), plan)
            ratio = ((ref32.double() - ref64).abs() / (1e-4 + 1e-4 * ref64.abs())).max().item()
            if ratio > worst[0]:
                worst = (ratio, name + ".logits")
    assert max_abs_diff(intact, dropped) > 1e-3
    tensors = {"param." + k: v for k, v in state_tensors(model).items()}
    tensors["input"] = x.clone()
    tensors["intact.logits"] = intact.clone()
    tensors["drop_5_9.logits"] = dropped.clone()
    metadata = {
        "family": "cifar_a",
        "config": json.dumps(dict(input=[3, 32, 32], classes=10, batch=2,
                                  stage_widths=[16, 32, 64], blocks_per_stage=[3, 3, 3],
                                  shortcut="A", block_kind="basic", bn_eps=BN_EPS,
                                  stem="cifar", head="linear")),
        "plans": json.dumps({"intact": intact_plan, "drop_5_9": drop_plan}),
        "blocks": json.dumps(block_table(model, model.block_shapes)),
        "mode": "model.eval(), logits only",
        "torch_version": torch.__version__,
        "seed": str(seed),
        "command": COMMAND,
    }
    path = os.path.join(OUTPUT_DIR, "resnet20.safetensors")
    write_safetensors(path, tensors, metadata)
    verify_file(path, tensors, metadata)
    summary.append(("resnet20", path, worst))


def main():
    summary = []
    cifar_a_model = None
    for index, spec in enumerate(family_specs()):
        model, _, _ = make_family(index, spec, summary)
        if spec["family"] == "cifar_a":
            cifar_a_model = model
    make_training_steps(cifar_a_model, summary)
    make_resnet20(summary)
    total = 0
    print("torch %s, numpy %s" % (torch.__version__, np.__version__))
    print("%-22s %10s  %s" % ("file", "bytes", "worst float32-vs-float64 error / tolerance "
                              "(1e-4 + 1e-4*|ref|)"))
    for name, path, (ratio, where) in summary:
        size = os.path.getsize(path)
        total += size
        print("%-22s %10d  %.3g at %s" % (os.path.basename(path), size, ratio, where))
    print("%-22s %10d" % ("total", total))
    assert total < 5 * 1024 * 1024, total
    return 0


if __name__ == "__main__":
    sys.exit(main())
