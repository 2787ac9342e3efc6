"""PyTorch reference for resnet-lesion-bench: the same CIFAR ResNet workloads, timed the same way.

Run by the benchmark executable, which times these runs turn about with its own: after printing
{"ready": true} it reads one JSON request per line, {"workload": "forward" | "forward + input
gradient" | "training step", "batch": B}, runs each engine once (for at least --seconds) and prints
one line {"<engine>": images/s}. Engines: eager (NCHW) and channels_last; for the forward, when
onnxruntime is importable, also onnxruntime (the eval-mode model exported with torch.onnx, same
weights, ORT_ENABLE_ALL, as many intra-op threads). It ends at the end of its input.

--training-memory B: instead, peak resident memory (ru_maxrss) of training steps at batch B, for each
layout: {"<layout>|rss_before": bytes, "<layout>|rss_peak": bytes} (VmHWM), each layout in a fresh process.
"""
import argparse, copy, json, resource, statistics, subprocess, sys, time

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


CLOCK = time.perf_counter  # time.process_time with --cpu-time
FASTEST = False  # --fastest: the rate of the fastest call (wall clock)


def rate(items, seconds, body):
    """Runs body for at least `seconds` of wall time; items per second of CLOCK (or of the
    fastest call's wall time with --fastest)."""
    body()
    start = time.perf_counter()
    clock_start = CLOCK()
    count = 0
    fastest = float("inf")
    while True:
        call_start = time.perf_counter()
        body()
        fastest = min(fastest, time.perf_counter() - call_start)
        count += 1
        if time.perf_counter() - start >= seconds:
            if FASTEST:
                return items / fastest
            return items * count / (CLOCK() - clock_start)


def load_safetensors(path):
    """Our model files are safetensors; read them without the safetensors package."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    dtypes = {"F32": torch.float32, "F16": torch.float16, "I64": torch.int64}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]) if raw else torch.empty(0, dtype=dtypes[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).float()
    return tensors, meta


def read_idx(path):
    import gzip
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def sweep(a):
    """Issue 5's reference: a naive PyTorch loop, one full evaluation per single deletion."""
    tensors, meta = load_safetensors(a.sweep)
    arch = json.loads(meta["architecture"])
    widths, blocks = arch["stageWidths"], arch["blocksPerStage"]
    depth = 6 * blocks[0] + 2

    class Net(ResNet):
        def __init__(self):
            nn.Module.__init__(self)
            self.conv1 = nn.Conv2d(arch["inputChannels"], widths[0], 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(widths[0])
            layers, cin = [], widths[0]
            for stage, width in enumerate(widths):
                for b in range(blocks[stage]):
                    layers.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                    cin = width
            self.blocks = nn.Sequential(*layers)
            self.linear = nn.Linear(cin, arch["classCount"])

    net = Net().eval()
    names = []
    for stage, count in enumerate(blocks):
        names += ["layer%d.%d" % (stage + 1, b) for b in range(count)]
    state = {}
    for key, value in tensors.items():
        for i, prefix in enumerate(names):
            if key.startswith(prefix + "."):
                key = "blocks.%d." % i + key[len(prefix) + 1:]
                break
        state[key] = value
    net.load_state_dict(state, strict=False)
    images = read_idx(a.mnist + "/t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    labels = read_idx(a.mnist + "/t10k-labels-idx1-ubyte.gz").long()
    mean = json.loads(meta["normalization_mean"])[0]
    std = json.loads(meta["normalization_std"])[0]
    x = (images - mean) / std
    scales = arch.get("branchScales")

    def evaluate(deleted):
        errors = 0
        with torch.inference_mode():
            for start in range(0, len(x), 100):
                h = F.relu(net.bn1(net.conv1(x[start:start + 100])))
                for i, block in enumerate(net.blocks):
                    if i == deleted:
                        if block.stride != 1 or block.pad:
                            h = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, block.pad // 2, block.pad - block.pad // 2))
                        h = F.relu(h)
                    else:
                        out = block.bn2(block.conv2(F.relu(block.bn1(block.conv1(h)))))
                        if scales:
                            out = out * scales[i]
                        sc = h
                        if block.stride != 1 or block.pad:
                            sc = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, block.pad // 2, block.pad - block.pad // 2))
                        h = F.relu(out + sc)
                logits = net.linear(h.mean(dim=(2, 3)))
                errors += (logits.argmax(1) != labels[start:start + 100]).sum().item()
        return errors / len(x)

    times = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        intact = evaluate(-1)
        for i in range(len(names)):
            evaluate(i)
        times.append(time.perf_counter() - start)
    print(json.dumps({"sweep_seconds": statistics.median(times), "intact_error": intact}))


def max_rss_bytes():
    """VmHWM: this process image's peak (ru_maxrss would include the parent's across fork and exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # macOS: bytes


def training_memory(a):
    """Peak RSS of three training steps at batch a.training_memory in this (fresh) process."""
    fmt = torch.channels_last if a.layout == "channels_last" else torch.contiguous_format
    torch.manual_seed(0)
    model = ResNet(a.depth).to(memory_format=fmt).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
    x = torch.randn(a.training_memory, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.arange(a.training_memory) % 10
    before = max_rss_bytes()
    for _ in range(3):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return {f"{a.layout}|rss_before": before, f"{a.layout}|rss_peak": max_rss_bytes()}


def onnxruntime_session(model, a):
    """An onnxruntime session for `model` (eval mode) exported with torch.onnx, or None when
    onnxruntime is not importable."""
    try:
        import io, warnings
        import onnxruntime as ort
    except ImportError:
        return None
    model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, 32, 32),), buffer, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "n"}, "logits": {0: "n"}}, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = a.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def onnxruntime_feed(session, model, batch):
    """Input for `session` at `batch`, after checking its logits against PyTorch's."""
    x = torch.randn(batch, 3, 32, 32)
    with torch.inference_mode():
        expected = model.eval()(x)
    got = torch.from_numpy(session.run(None, {"x": x.numpy()})[0])
    if (got - expected).abs().max().item() > 1e-3:
        raise SystemExit("onnxruntime logits differ from PyTorch's")
    return {"x": x.numpy()}


def workloads(model, opt, x, y):
    """The three workloads on `model` with input x and labels y: {name: (train mode?, body)}."""
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

    return {"forward": (False, forward), "forward + input gradient": (False, input_gradient),
            "training step": (True, training)}


def serve(a):
    """One run per engine for each request on stdin (see the module's doc)."""
    torch.manual_seed(0)
    engines = {}
    for layout in ["eager", "channels_last"]:
        fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
        model = ResNet(a.depth).to(memory_format=fmt)
        engines[layout] = (model, torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9), fmt)
    # onnxruntime runs a copy the training steps never change (same weights as eager's at the start).
    exported = copy.deepcopy(engines["eager"][0])
    session = onnxruntime_session(exported, a)
    inputs, feeds = {}, {}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        workload, batch = request["workload"], int(request["batch"])
        results = {}
        for layout, (model, opt, fmt) in engines.items():
            if (layout, batch) not in inputs:
                inputs[(layout, batch)] = (torch.randn(batch, 3, 32, 32).contiguous(memory_format=fmt),
                                           torch.arange(batch) % 10)
            train, body = workloads(model, opt, *inputs[(layout, batch)])[workload]
            model.train(train)
            results[layout] = rate(batch, a.seconds, body)
        if workload == "forward" and session is not None:
            if batch not in feeds:
                feeds[batch] = onnxruntime_feed(session, exported, batch)
            results["onnxruntime"] = rate(batch, a.seconds, lambda: session.run(None, feeds[batch]))
        print(json.dumps(results), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--depth", type=int, default=110)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--sweep", default=None)
    p.add_argument("--mnist", default=None)
    p.add_argument("--training-memory", type=int, default=None)
    p.add_argument("--layout", default=None)
    p.add_argument("--cpu-time", action="store_true")
    p.add_argument("--fastest", action="store_true")
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    global CLOCK, FASTEST
    if a.cpu_time:
        CLOCK = time.process_time
    FASTEST = a.fastest
    torch.set_num_threads(a.threads)
    if a.sweep:
        sweep(a)
        return
    if a.training_memory and a.layout:
        print(json.dumps(training_memory(a)))
        return
    if a.training_memory:
        results = {}
        for layout in ["eager", "channels_last"]:
            out = subprocess.run([sys.executable, __file__, "--threads", str(a.threads), "--depth", str(a.depth),
                                  "--training-memory", str(a.training_memory), "--layout", layout],
                                 check=True, capture_output=True, text=True).stdout
            results.update(json.loads(out))
        print(json.dumps(results))
        return
    if not a.serve:
        p.error("give --serve, --sweep or --training-memory")
    serve(a)


if __name__ == "__main__":
    main()
