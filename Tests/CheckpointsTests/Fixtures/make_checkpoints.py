"""Writes the checkpoint fixtures of CheckpointsTests with real PyTorch.

Run from the repository root:

    python Tests/CheckpointsTests/Fixtures/make_checkpoints.py

For each reference family (akamaster CIFAR ResNet with option-A shortcuts, chenyaofo CIFAR
ResNet with option-B shortcuts, torchvision basic and bottleneck ResNets, kuangliu
pre-activation ResNet) it builds a small variant as an nn.Module with exactly the reference
parameter names, gives every parameter and running statistic seeded random values, and saves:

  <family>.zip.pt        torch.save of the state dict (zip format)
  <family>.legacy.pt     the same with _use_new_zipfile_serialization=False
  <family>.wrapped.pt    akamaster-style training checkpoint: {'best_prec1', 'state_dict'} with
                         every key prefixed by 'module.' (legacy format, as akamaster's files)
  <family>.half.pt       the state dict converted to float16 (zip format)
  reference_shapes.json  key -> shape of full-size reference models (no weights): akamaster
                         resnet20/resnet110, chenyaofo cifar100 resnet56, torchvision
                         resnet18/resnet50/resnet152, kuangliu PreActResNet18, to check inference
                         and parameter counts against the documented numbers (torchvision.models documentation)
  <family>.expected.safetensors
                         'input' (N, C, H, W) and the logits in eval mode: 'logits' (intact),
                         'logits_drop_<k>' (block k's residual branch deleted: the block outputs
                         what follows the addition applied to the shortcut alone), and
                         'half_logits', 'half_logits_drop_<k>' computed in float32 from the
                         float16-rounded weights. Metadata records torch version, seed, command.

Blocks are numbered from 1 in forward order, like `resnet-lesion info`.
"""

import json
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

SEED = 20160523
HERE = os.path.dirname(os.path.abspath(__file__))


# --- akamaster/pytorch_resnet_cifar10 resnet.py (option A) and chenyaofo CifarResNet ---------

class CifarBasicBlock(nn.Module):
    """conv-bn-relu-conv-bn + shortcut, relu. option 'A' pads, 'B' projects with `proj_name`."""

    def __init__(self, in_planes, planes, stride, option, proj_name):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.option = option
        self.planes = planes
        self.project = stride != 1 or in_planes != planes
        self.proj_name = proj_name
        if self.project and option == "B":
            setattr(self, proj_name, nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes)))
        self.deleted = False

    def shortcut_path(self, x):
        if not self.project:
            return x
        if self.option == "A":
            pad = self.planes // 4
            return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad), "constant", 0)
        return getattr(self, self.proj_name)(x)

    def forward(self, x):
        shortcut = self.shortcut_path(x)
        if self.deleted:
            return F.relu(shortcut)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, widths, blocks, classes, option, head, proj_name, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        in_planes = widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                layers.append(CifarBasicBlock(in_planes, w, stride, option, proj_name))
                in_planes = w
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layers))
        self.stages = len(widths)
        self.head = head
        setattr(self, head, nn.Linear(in_planes, classes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        for s in range(self.stages):
            out = getattr(self, "layer%d" % (s + 1))(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return getattr(self, self.head)(out)


# --- torchvision/models/resnet.py ------------------------------------------------------------

class TVBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        self.deleted = False

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        if self.deleted:
            return F.relu(identity)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class TVBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))
        self.deleted = False

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        if self.deleted:
            return F.relu(identity)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity)


class TVResNet(nn.Module):
    def __init__(self, block, widths, blocks, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                layers.append(block(inplanes, w, stride))
                inplanes = w * block.expansion
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layers))
        self.stages = len(widths)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for s in range(self.stages):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


# --- kuangliu/pytorch-cifar models/preact_resnet.py ------------------------------------------

class PreActBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False))
        self.deleted = False

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
        if self.deleted:
            return shortcut
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        return out + shortcut


class PreActResNet(nn.Module):
    def __init__(self, widths, blocks, classes, final_bn):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        in_planes = widths[0]
        for s, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for b in range(n):
                stride = 2 if s > 0 and b == 0 else 1
                layers.append(PreActBlock(in_planes, w, stride))
                in_planes = w
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*layers))
        self.stages = len(widths)
        if final_bn:
            self.bn = nn.BatchNorm2d(in_planes)
        self.linear = nn.Linear(in_planes, classes)

    def forward(self, x):
        out = self.conv1(x)
        for s in range(self.stages):
            out = getattr(self, "layer%d" % (s + 1))(out)
        if hasattr(self, "bn"):
            out = F.relu(self.bn(out))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


# --- fixtures --------------------------------------------------------------------------------

def randomize(model, generator):
    """Seeded values for every parameter and running statistic (BN stats away from identity)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(7)
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith("running_mean") or name.endswith("bias"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.2)
            elif tensor.dim() == 1:  # BN gamma
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * (2.0 / fan_in) ** 0.5)


def blocks_of(model):
    return [b for s in range(model.stages) for b in getattr(model, "layer%d" % (s + 1))]


def logits(model, x, drop=None):
    blocks = blocks_of(model)
    for i, block in enumerate(blocks):
        block.deleted = drop is not None and i + 1 == drop
    with torch.no_grad():
        out = model(x).contiguous()
    for block in blocks:
        block.deleted = False
    return out


def write_family(name, model, input_shape, drops, generator):
    randomize(model, generator)
    model.eval()
    state = model.state_dict()
    x = torch.randn(input_shape, generator=generator)
    torch.save(state, os.path.join(HERE, name + ".zip.pt"))
    torch.save(state, os.path.join(HERE, name + ".legacy.pt"), _use_new_zipfile_serialization=False)
    wrapped = {
        "best_prec1": 91.25,
        "state_dict": OrderedDict(("module." + k, v) for k, v in state.items()
                                  if not k.endswith("num_batches_tracked")),
    }
    torch.save(wrapped, os.path.join(HERE, name + ".wrapped.pt"), _use_new_zipfile_serialization=False)
    half = OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in state.items())
    torch.save(half, os.path.join(HERE, name + ".half.pt"))

    expected = {"input": x.contiguous(), "logits": logits(model, x)}
    for k in drops:
        expected["logits_drop_%d" % k] = logits(model, x, k)
    rounded = OrderedDict((k, v.float() if v.is_floating_point() else v) for k, v in half.items())
    model.load_state_dict(rounded)
    expected["half_logits"] = logits(model, x)
    for k in drops:
        expected["half_logits_drop_%d" % k] = logits(model, x, k)
    metadata = {
        "torch_version": torch.__version__,
        "seed": str(SEED),
        "command": "python Tests/CheckpointsTests/Fixtures/make_checkpoints.py",
        "drops": ",".join(str(k) for k in drops),
        "blocks": str(len(blocks_of(model))),
    }
    save_file(expected, os.path.join(HERE, name + ".expected.safetensors"), metadata=metadata)


def main():
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    # akamaster: option A, linear head, widths 4/8/16, one block per stage (ResNet-8 layout).
    write_family("akamaster", CifarResNet([4, 8, 16], [1, 1, 1], 10, "A", "linear", "shortcut"),
                 (2, 3, 8, 8), drops=[2, 1], generator=generator)
    # chenyaofo: option B with downsample.0/1, fc head, two blocks in stage 1.
    write_family("chenyaofo", CifarResNet([4, 8, 16], [2, 1, 1], 10, "B", "fc", "downsample"),
                 (2, 3, 8, 8), drops=[3, 2], generator=generator)
    # torchvision basic blocks (ResNet-18 layout, narrower and shallower).
    write_family("torchvision_basic", TVResNet(TVBasicBlock, [4, 8, 8, 16], [1, 2, 1, 1], 6),
                 (2, 3, 32, 32), drops=[2, 3], generator=generator)
    # torchvision bottlenecks (ResNet-50 layout, narrower and shallower).
    write_family("torchvision_bottleneck", TVResNet(TVBottleneck, [2, 4, 4, 8], [1, 1, 2, 1], 5),
                 (2, 3, 32, 32), drops=[1, 4], generator=generator)
    # kuangliu pre-activation, 1x1 shortcut without BN, no final BN.
    write_family("preact", PreActResNet([4, 8, 16], [1, 2, 1], 10, final_bn=False),
                 (2, 3, 8, 8), drops=[2, 3], generator=generator)
    # pre-activation with a final BN-ReLU (He et al. 2016b).
    write_family("preact_final_bn", PreActResNet([4, 8], [1, 1], 3, final_bn=True),
                 (2, 3, 8, 8), drops=[2], generator=generator)
    reference = {
        "akamaster_resnet20": CifarResNet([16, 32, 64], [3] * 3, 10, "A", "linear", "shortcut"),
        "akamaster_resnet110": CifarResNet([16, 32, 64], [18] * 3, 10, "A", "linear", "shortcut"),
        "chenyaofo_cifar100_resnet56": CifarResNet([16, 32, 64], [9] * 3, 100, "B", "fc", "downsample"),
        "torchvision_resnet18": TVResNet(TVBasicBlock, [64, 128, 256, 512], [2, 2, 2, 2], 1000),
        "torchvision_resnet50": TVResNet(TVBottleneck, [64, 128, 256, 512], [3, 4, 6, 3], 1000),
        "torchvision_resnet152": TVResNet(TVBottleneck, [64, 128, 256, 512], [3, 8, 36, 3], 1000),
        "kuangliu_preact_resnet18": PreActResNet([64, 128, 256, 512], [2, 2, 2, 2], 10, final_bn=False),
    }
    shapes = {name: {"parameters": sum(p.numel() for p in model.parameters()),
                     "keys": {k: list(v.shape) for k, v in model.state_dict().items()}}
              for name, model in reference.items()}
    with open(os.path.join(HERE, "reference_shapes.json"), "w") as f:
        json.dump(shapes, f, sort_keys=True, separators=(",", ":"))
    print("wrote fixtures with torch", torch.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
