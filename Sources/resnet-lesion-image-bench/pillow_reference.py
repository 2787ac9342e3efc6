"""Pillow + torchvision side of resnet-lesion-image-bench.

  python pillow_reference.py generate DIR N   writes N ImageNet-size JPEGs (500×375 and 375×500,
                                              quality 90, 4:2:0) into DIR
  python pillow_reference.py time DIR R       times Image.open → convert("RGB") → Resize(256) →
                                              CenterCrop(224) on every JPEG in DIR (sorted), R
                                              repeats, one thread; writes the crops to
                                              DIR/crops.u8 (N × 224 × 224 × 3) and prints JSON
"""
import io
import json
import os
import sys
import time


def generate(folder, count):
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(count):
        w, h = (500, 375) if i % 4 else (375, 500)
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        planes = []
        for c in range(3):
            f = rng.uniform(4, 40, size=4)
            p = 128 + 60 * np.sin(x / f[0] + y / f[1]) + 40 * np.cos((x - y) / f[2]) \
                + 20 * np.sin(x * y / (f[3] * 400))
            planes.append(p)
        a = np.stack(planes, -1) + rng.normal(0, 12, (h, w, 3))
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(
            os.path.join(folder, f"img{i:04d}.jpg"), quality=90, subsampling=2)


def time_pipeline(folder, repeats):
    import numpy as np
    import torch
    from PIL import Image
    from torchvision import transforms
    torch.set_num_threads(1)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".jpg"))
    blobs = [open(os.path.join(folder, n), "rb").read() for n in names]
    crop = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
    tensor = transforms.Compose([crop, transforms.ToTensor(),
                                 transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def run(pipeline):
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            for blob in blobs:
                pipeline(Image.open(io.BytesIO(blob)).convert("RGB"))
            rates.append(len(blobs) / (time.perf_counter() - start))
        return sorted(rates)[len(rates) // 2]

    decode_only = run(lambda im: im)
    pil = run(crop)
    with_tensor = run(tensor)
    with open(os.path.join(folder, "crops.u8"), "wb") as out:
        for blob in blobs:
            out.write(np.asarray(crop(Image.open(io.BytesIO(blob)).convert("RGB"))).tobytes())
    import PIL
    import torchvision
    print(json.dumps({"decode": decode_only, "crop": pil, "tensor": with_tensor,
                      "pillow": PIL.__version__, "torchvision": torchvision.__version__}))


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        time_pipeline(sys.argv[2], int(sys.argv[3]))
