"""Writes the hub-family fixtures of CheckpointsTests with the real libraries.

Run from the repository root (transformers 5.24, timm 1.0.31, torch 2.15):

    python Tests/CheckpointsTests/Fixtures/make_hub_checkpoints.py

Every model is a tiny random configuration built by the library that publishes such checkpoints
and saved the way its users save it, into Tests/CheckpointsTests/Fixtures/hub/:

  transformers_basic/        ResNetForImageClassification, basic layers, save_pretrained
                             (config.json with id2label + model.safetensors)
  transformers_bottleneck/   bottleneck layers, embedding wider than the first stage's inner
                             width; config.json + pytorch_model.bin (torch.save of the state dict,
                             as transformers 4 wrote it)
  timm_resnet_deep/          timm resnet50c layout (deep 3x3 stem), timm save_for_hf
                             (config.json with label_names and pretrained_cfg mean/std +
                             pytorch_model.bin)
  timm_resnetv2_bottleneck.safetensors
                             timm ResNetV2 (pre-activation bottlenecks, as resnetv2_50),
                             safetensors.torch.save_file(model.state_dict())
  timm_resnetv2_basic.pth    timm ResNetV2 with basic=True (as resnetv2_18), torch.save
  kuangliu_preact_bottleneck.pth
                             kuangliu's PreActResNet with PreActBottleneck (CIFAR stem), torch.save
  transformers_downsample/   bottleneck layers with downsample_in_bottleneck (stride on the first
                             1x1 convolution) and downsample_in_first_stage (stage 1 strided too),
                             save_pretrained, 26x26 inputs
  timm_resnet18d/            timm resnet18d layout (deep stem, average-pool shortcuts
                             'downsample.0' = AvgPool2d(2, 2, ceil_mode=True,
                             count_include_pad=False), basic blocks), save_for_hf
  timm_resnet26d.pth         timm resnet26d layout (bottlenecks), torch.save of the state dict
  timm_resnetv2_50d.safetensors
                             timm ResNetV2 as resnetv2_50d (deep stem, DownsampleAvg shortcuts),
                             safetensors.torch.save_file(model.state_dict())
                             The average-pool fixtures take 26x26 inputs so that a pool sees a
                             7x7 map (ceil mode: 7x7 -> 4x4, edge windows average fewer values),
                             and they carry gradients (below).
  reference_shapes_timm.json key -> shape and parameter count of full-size timm resnet18d,
                             resnet50d and resnetv2_50d (no weights), to check inference and
                             parameter counts at the real widths
  <name>.expected.safetensors
                             'input' (N, C, H, W); 'logits' in eval mode; 'logits_drop_<k>' with
                             block k's residual branch skipped (the library's block forward
                             replaced by what it computes without the branch: post-activation
                             act(shortcut(x)), pre-activation downsample(norm1(x)) or x); for the
                             pre-activation bottlenecks also 'grad_weights' (N, classes) and the
                             gradients of sum(logits * grad_weights) with respect to the input
                             ('grad.input', 'grad_drop_<k>.input' for the first k of the drops)
                             and every parameter ('grad.param.<key>', 'grad_drop_<k>.param.<key>').
                             Metadata: library versions, seed, command, drops.

Blocks are numbered from 1 in forward order, like `resnet-lesion info`.
"""

import json
import os
import shutil
import sys
import types

import safetensors.torch
import timm
import torch
import torch.nn as nn
import torch.nn.functional as F
import transformers
from timm.layers import BatchNormAct2d, create_conv2d
from timm.models._hub import save_for_hf
from timm.models.resnetv2 import ResNetV2

SEED = 20161205
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hub")


def randomize(model, generator):
    """Seeded values for every parameter and running statistic (BN away from identity)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                tensor.fill_(3)
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith("running_mean") or name.endswith("bias"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.2)
            elif tensor.dim() == 1:
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * (2.0 / fan_in) ** 0.5)


# --- deleting a block: the block's forward without its residual branch -------------------------

def delete_transformers(layer):
    """ResNetBasicLayer / ResNetBottleNeckLayer: activation(shortcut(x))."""
    layer.forward = types.MethodType(lambda self, x: self.activation(self.shortcut(x)), layer)


def delete_timm_v1(block):
    """timm BasicBlock / Bottleneck: act(downsample(x) or x)."""
    def forward(self, x):
        shortcut = self.downsample(x) if self.downsample is not None else x
        return self.act3(shortcut) if hasattr(self, "act3") else self.act2(shortcut)
    block.forward = types.MethodType(forward, block)


def delete_preact(block):
    """timm PreActBottleneck / PreActBasic: downsample(norm1(x)) or x."""
    def forward(self, x):
        return self.downsample(self.norm1(x)) if self.downsample is not None else x
    block.forward = types.MethodType(forward, block)


def delete_kuangliu(block):
    """kuangliu PreActBottleneck: shortcut(relu(bn1(x))) or x."""
    def forward(self, x):
        return self.shortcut(F.relu(self.bn1(x))) if hasattr(self, "shortcut") else x
    block.forward = types.MethodType(forward, block)


# --- kuangliu/pytorch-cifar preact_resnet.py (PreActBottleneck), verbatim layout ----------------

class PreActBottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = self.shortcut(out) if hasattr(self, "shortcut") else x
        out = self.conv1(out)
        out = self.conv2(F.relu(self.bn2(out)))
        out = self.conv3(F.relu(self.bn3(out)))
        return out + shortcut


class PreActResNet(nn.Module):
    def __init__(self, planes, num_blocks, num_classes):
        super().__init__()
        self.in_planes = planes[0]
        self.conv1 = nn.Conv2d(3, planes[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.stages = len(planes)
        for i, (p, n) in enumerate(zip(planes, num_blocks)):
            setattr(self, "layer%d" % (i + 1), self._make_layer(p, n, 1 if i == 0 else 2))
        self.bn = nn.BatchNorm2d(self.in_planes)
        self.linear = nn.Linear(self.in_planes, num_classes)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(PreActBottleneck(self.in_planes, planes, s))
            self.in_planes = planes * PreActBottleneck.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv1(x)
        for i in range(self.stages):
            out = getattr(self, "layer%d" % (i + 1))(out)
        out = F.relu(self.bn(out))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


# --- fixtures ---------------------------------------------------------------------------------

def blocks(model, kind):
    if kind == "transformers":
        return [l for s in model.resnet.encoder.stages for l in s.layers]
    if kind == "timm_v1":
        return [b for name in ("layer1", "layer2", "layer3", "layer4") if hasattr(model, name)
                for b in getattr(model, name)]
    if kind == "timm_v2":
        return [b for s in model.stages for b in s.blocks]
    return [b for i in range(model.stages) for b in getattr(model, "layer%d" % (i + 1))]


DELETERS = {"transformers": delete_transformers, "timm_v1": delete_timm_v1, "timm_v2": delete_preact,
            "kuangliu": delete_kuangliu}


def run(model, kind, x, drop=None):
    """Logits with block `drop` (1-based) deleted; the original forward is restored after."""
    block = blocks(model, kind)[drop - 1] if drop else None
    if block is not None:
        DELETERS[kind](block)
    try:
        out = model(x)
        return out.logits if hasattr(out, "logits") else out
    finally:
        if block is not None:
            del block.forward


def expected_values(name, model, kind, input_shape, drops, generator, gradients=False):
    model.eval()
    x = torch.randn(input_shape, generator=generator)
    values = {"input": x.contiguous()}
    with torch.no_grad():
        values["logits"] = run(model, kind, x).contiguous()
        for k in drops:
            values["logits_drop_%d" % k] = run(model, kind, x, k).contiguous()
    if gradients:
        weights = torch.randn(values["logits"].shape, generator=generator)
        values["grad_weights"] = weights
        for prefix, drop in [("grad", None), ("grad_drop_%d" % drops[0], drops[0])]:
            model.zero_grad()
            xg = x.clone().requires_grad_(True)
            (run(model, kind, xg, drop) * weights).sum().backward()
            values[prefix + ".input"] = xg.grad.contiguous()
            for key, p in model.named_parameters():
                values["%s.param.%s" % (prefix, key)] = (
                    p.grad.contiguous() if p.grad is not None else torch.zeros_like(p))
    metadata = {
        "torch_version": torch.__version__, "transformers_version": transformers.__version__,
        "timm_version": timm.__version__, "seed": str(SEED),
        "command": "python Tests/CheckpointsTests/Fixtures/make_hub_checkpoints.py",
        "drops": ",".join(str(k) for k in drops), "blocks": str(len(blocks(model, kind))),
    }
    safetensors.torch.save_file(values, os.path.join(HERE, name + ".expected.safetensors"), metadata=metadata)


def fresh_folder(name):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def main():
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    os.makedirs(HERE, exist_ok=True)

    # transformers, basic layers, save_pretrained (model.safetensors + config.json).
    config = transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 16], depths=[1, 2, 1], layer_type="basic",
        id2label={0: "cat", 1: "dog", 2: "fish", 3: "bird"}, label2id={"cat": 0, "dog": 1, "fish": 2, "bird": 3})
    model = transformers.ResNetForImageClassification(config)
    randomize(model, generator)
    model.save_pretrained(fresh_folder("transformers_basic"))
    expected_values("transformers_basic", model, "transformers", (2, 3, 16, 16), [2, 3], generator)

    # transformers, bottleneck layers; config.json + pytorch_model.bin.
    config = transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[16, 32], depths=[2, 1], layer_type="bottleneck", num_labels=3)
    model = transformers.ResNetForImageClassification(config)
    randomize(model, generator)
    folder = fresh_folder("transformers_bottleneck")
    config.save_pretrained(folder)
    torch.save(model.state_dict(), os.path.join(folder, "pytorch_model.bin"))
    expected_values("transformers_bottleneck", model, "transformers", (2, 3, 16, 16), [1, 2], generator)

    # timm resnet50c layout (deep stem, stem_width 8), narrowed; save_for_hf.
    model = timm.create_model("resnet50c", pretrained=False, layers=[1, 1, 1, 1], channels=(4, 4, 8, 8),
                              stem_width=8, num_classes=3)
    randomize(model, generator)
    model.eval()
    save_for_hf(model, fresh_folder("timm_resnet_deep"),
                model_args=dict(label_names=["red", "green", "blue"]))
    expected_values("timm_resnet_deep", model, "timm_v1", (2, 3, 16, 16), [1, 3], generator)

    # timm ResNetV2 pre-activation bottlenecks (resnetv2_50 layout), safetensors of the state dict.
    model = ResNetV2(layers=[1, 2], channels=(32, 64), stem_chs=16, num_classes=3,
                     conv_layer=create_conv2d, norm_layer=BatchNormAct2d)
    randomize(model, generator)
    safetensors.torch.save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        os.path.join(HERE, "timm_resnetv2_bottleneck.safetensors"))
    expected_values("timm_resnetv2_bottleneck", model, "timm_v2", (2, 3, 16, 16), [1, 2, 3], generator,
                    gradients=True)

    # timm ResNetV2 pre-activation basic blocks (resnetv2_18 layout), torch.save.
    model = ResNetV2(layers=[1, 1], channels=(8, 16), stem_chs=8, num_classes=4, basic=True,
                     bottle_ratio=1.0, conv_layer=create_conv2d, norm_layer=BatchNormAct2d)
    randomize(model, generator)
    torch.save(model.state_dict(), os.path.join(HERE, "timm_resnetv2_basic.pth"))
    expected_values("timm_resnetv2_basic", model, "timm_v2", (2, 3, 16, 16), [1, 2], generator)

    # kuangliu PreActResNet with bottlenecks (CIFAR stem), torch.save.
    model = PreActResNet([4, 8], [2, 1], 5)
    randomize(model, generator)
    torch.save(model.state_dict(), os.path.join(HERE, "kuangliu_preact_bottleneck.pth"))
    expected_values("kuangliu_preact_bottleneck", model, "kuangliu", (2, 3, 8, 8), [1, 2, 3], generator,
                    gradients=True)
    # timm average-pool shortcuts (avg_down=True) on odd maps: 26x26 input -> 13 -> 7 at stage 2.
    def check_avg_down(model):
        pools = [m for m in model.modules() if isinstance(m, nn.AvgPool2d)]
        assert pools and all(p.ceil_mode and not p.count_include_pad and p.kernel_size == 2 for p in pools)

    model = timm.create_model("resnet18d", pretrained=False, layers=[1, 1, 1, 1], channels=(4, 8, 8, 16),
                              stem_width=4, num_classes=3)
    check_avg_down(model)
    randomize(model, generator)
    model.eval()
    save_for_hf(model, fresh_folder("timm_resnet18d"), model_args=dict(label_names=["a", "b", "c"]))
    expected_values("timm_resnet18d", model, "timm_v1", (2, 3, 26, 26), [2, 1, 4], generator, gradients=True)

    model = timm.create_model("resnet26d", pretrained=False, layers=[1, 2, 1, 1], channels=(4, 4, 8, 8),
                              stem_width=4, num_classes=3)
    check_avg_down(model)
    randomize(model, generator)
    torch.save(model.state_dict(), os.path.join(HERE, "timm_resnet26d.pth"))
    expected_values("timm_resnet26d", model, "timm_v1", (2, 3, 26, 26), [2, 1, 3, 5], generator, gradients=True)

    model = ResNetV2(layers=[1, 2, 1], channels=(32, 64, 64), stem_chs=8, num_classes=3, stem_type="deep",
                     avg_down=True, conv_layer=create_conv2d, norm_layer=BatchNormAct2d)
    check_avg_down(model)
    randomize(model, generator)
    safetensors.torch.save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()},
        os.path.join(HERE, "timm_resnetv2_50d.safetensors"))
    expected_values("timm_resnetv2_50d", model, "timm_v2", (2, 3, 26, 26), [2, 1, 3], generator, gradients=True)
    # transformers bottlenecks with the stride on the first 1x1 and a strided first stage.
    config = transformers.ResNetConfig(
        embedding_size=8, hidden_sizes=[16, 32], depths=[2, 1], layer_type="bottleneck", num_labels=2,
        downsample_in_bottleneck=True, downsample_in_first_stage=True)
    model = transformers.ResNetForImageClassification(config)
    assert model.resnet.encoder.stages[0].layers[0].layer[0].convolution.stride == (2, 2)
    assert model.resnet.encoder.stages[1].layers[0].layer[1].convolution.stride == (1, 1)
    randomize(model, generator)
    model.save_pretrained(fresh_folder("transformers_downsample"))
    expected_values("transformers_downsample", model, "transformers", (2, 3, 26, 26), [1, 3, 2], generator,
                    gradients=True)
    # Full-size timm ResNet-D models: names and shapes only.
    reference = {}
    for name in ["resnet18d", "resnet50d", "resnetv2_50d"]:
        full = timm.create_model(name, pretrained=False)
        reference[name] = {"parameters": sum(p.numel() for p in full.parameters()),
                           "keys": {k: list(v.shape) for k, v in full.state_dict().items()}}
    with open(os.path.join(HERE, "reference_shapes_timm.json"), "w") as f:
        json.dump(reference, f, sort_keys=True, separators=(",", ":"))
    print("wrote hub fixtures with torch", torch.__version__, "transformers", transformers.__version__,
          "timm", timm.__version__, file=sys.stderr)


if __name__ == "__main__":
    main()
