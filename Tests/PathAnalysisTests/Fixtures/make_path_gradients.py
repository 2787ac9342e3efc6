"""PyTorch reference for the gradient-per-path-length measurement (Veit et al. 2016, Fig. 6b).

Loads the engine's cifar_a fixture (weights, input, labels), then for several branch sets S
back-propagates the mean cross-entropy loss (model in eval mode) in two ways and stores the
gradient at the first block's input:
  single.<i>  -- the single path through exactly the branches in S: blocks in S pass gradient
                 through their branch only (shortcut detached), the others through their
                 shortcut only (branch detached);
  subset.<i>  -- blocks in S pass gradient through branch and shortcut, the others through the
                 shortcut only (every path using a subset of S).
Run from the repository root:
  python Tests/PathAnalysisTests/Fixtures/make_path_gradients.py
"""
import json, os, sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "EngineTests", "Fixtures"))
import generate_fixtures as g  # noqa: E402

SETS = [[], [1], [4], [2, 5], [1, 3, 4, 6], [1, 2, 3, 4, 5, 6]]


def main():
    torch.manual_seed(0)
    tensors, metadata = g.read_safetensors(os.path.join(HERE, "..", "..", "EngineTests", "Fixtures", "cifar_a.safetensors"))
    config = json.loads(metadata["config"])
    model = g.CifarResNet(config["input"][0], config["stage_widths"], config["blocks_per_stage"], config["classes"],
                          "basic", "A", "linear")
    state = {k[len("param."):]: v for k, v in tensors.items() if k.startswith("param.")}
    missing = model.load_state_dict(state, strict=False)
    assert not [k for k in missing.missing_keys if not k.endswith("num_batches_tracked")], missing
    model.eval()
    x, labels = tensors["input"], tensors["labels"]
    out = {}
    for index, chosen in enumerate(SETS):
        for mode in ["single", "subset"]:
            h = F.relu(model.bn1(model.conv1(x))).detach().requires_grad_(True)
            y = h
            for number, block in enumerate(model.blocks(), start=1):
                sc = block.shortcut(y)
                b = block.branch(y)
                if number in chosen:
                    y = F.relu((sc.detach() if mode == "single" else sc) + b)
                else:
                    y = F.relu(sc + b.detach())
            loss = F.cross_entropy(model.head(y), labels)
            loss.backward()
            out[f"{mode}.{index}.grad.block1_input"] = h.grad.detach().clone().contiguous()
            out[f"{mode}.{index}.norm"] = h.grad.norm().reshape(1).detach().clone()
    g.write_safetensors(os.path.join(HERE, "path_gradients.safetensors"), out, {
        "sets": json.dumps(SETS), "source": "Tests/EngineTests/Fixtures/cifar_a.safetensors",
        "torch_version": torch.__version__, "seed": "0",
        "command": "python Tests/PathAnalysisTests/Fixtures/make_path_gradients.py",
    })


if __name__ == "__main__":
    main()
