"""Writes the JPEG/PNG fixtures of Tests/ImagesTests and Pillow's / torchvision's results for them.

Run: python3 Tests/ImagesTests/Fixtures/generate_fixtures.py  (Pillow 13.0.0,
torchvision 0.29, numpy; seed 0). For every image NAME.jpg / NAME.png it writes NAME.rgb: the
pixels of PIL.Image.open(NAME).convert("RGB") as raw bytes (height × width × 3), preceded by a
line "P6 W H 255\n" (a binary PPM). For the transform cases it writes NAME.RESIZE-CROP.f32: the
torchvision evaluation transform Resize(RESIZE) → CenterCrop(CROP) → ToTensor() as float32 CHW
(3 × CROP × CROP, little-endian), without normalization. Files that Pillow cannot read (the
unsupported kinds) have no reference and are listed in errors.txt with the expected error kind.

Most JPEGs are written by Pillow (libjpeg-turbo). Sampling factors Pillow cannot write (4:1:1,
4:4:0, mixed and non-integral ones) come from the small baseline encoder below, which also
writes restart intervals and the RGB-component-id variant.
"""
import io
import os
import struct
import zlib

import numpy as np
from PIL import Image
import scipy.fft
import torch
import torchvision
from torchvision import transforms

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(0)


def smooth_image(w, h, channels=3):
    """A photo-like test image: gradients, a disc, edges and mild noise."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        p = 128 + 90 * np.sin(x / (3 + 2 * c) + y / (5 + c)) + 30 * np.cos((x - y) / 7)
        p += np.where((x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(w, h) / 3) ** 2, 40 * (c - 1), 0)
        p += rng.normal(0, 8, size=p.shape)
        planes.append(np.clip(p, 0, 255))
    return np.stack(planes, axis=-1).astype(np.uint8)


def write_reference(name, image):
    rgb = image.convert("RGB")
    data = np.asarray(rgb, dtype=np.uint8)
    with open(os.path.join(HERE, name + ".rgb"), "wb") as f:
        f.write(b"P6 %d %d 255\n" % (rgb.width, rgb.height))
        f.write(data.tobytes())


def save_pillow_jpeg(name, array, **options):
    mode = "L" if array.ndim == 2 else "RGB"
    Image.fromarray(array, mode).save(os.path.join(HERE, name), "JPEG", **options)
    with Image.open(os.path.join(HERE, name)) as im:
        write_reference(name, im)


# ---- A minimal baseline JPEG encoder with arbitrary sampling factors --------------------------

ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63])


class BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc = 0
                self.n = 0

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)


def category(v):
    v = abs(int(v))
    return 0 if v == 0 else v.bit_length()


def bits_of(v, s):
    return v if v >= 0 else v + (1 << s) - 1


def canonical(symbols):
    """A Huffman table giving every used symbol one code of equal length (never all ones)."""
    symbols = sorted(set(symbols)) or [0]
    length = max(1, (len(symbols)).bit_length())
    counts = [0] * 16
    counts[length - 1] = len(symbols)
    codes = {s: (i, length) for i, s in enumerate(symbols)}
    return counts, symbols, codes


def encode_baseline(name, width, height, comps, planes, quality_table, restart=0, adobe=None,
                    jfif=True):
    """comps: [(id, h, v)]; planes: full component planes (padded to whole MCUs)."""
    hmax = max(c[1] for c in comps)
    vmax = max(c[2] for c in comps)
    mcux = -(-width // (8 * hmax))
    mcuy = -(-height // (8 * vmax))
    q = quality_table
    blocks = []  # per component: dict (by, bx) -> quantized zigzag coefficients
    for (cid, h, v), plane in zip(comps, planes):
        table = {}
        for by in range(mcuy * v):
            for bx in range(mcux * h):
                tile = plane[by * 8:by * 8 + 8, bx * 8:bx * 8 + 8].astype(np.float64) - 128
                coef = scipy.fft.dctn(tile, type=2, norm="ortho").reshape(64)
                table[(by, bx)] = np.round(coef / q.reshape(64)).astype(int)[ZIGZAG]
        blocks.append(table)
    single = len(comps) == 1
    if single:
        cid, h, v = comps[0]
        cw = -(-width * h // hmax)
        ch = -(-height * v // vmax)
        order = [[(0, by, bx)] for by in range(-(-ch // 8)) for bx in range(-(-cw // 8))]
    else:
        order = []
        for my in range(mcuy):
            for mx in range(mcux):
                unit = []
                for ci, (cid, h, v) in enumerate(comps):
                    for y in range(v):
                        for x in range(h):
                            unit.append((ci, my * v + y, mx * h + x))
                order.append(unit)
    # Symbol statistics for the tables.
    dc_syms, ac_syms = [], []
    for unit in order:
        pred = [0] * len(comps)
        for ci, by, bx in unit:
            zz = blocks[ci][(by, bx)]
            dc_syms.append(category(zz[0]))
            run = 0
            for k in range(1, 64):
                if zz[k] == 0:
                    run += 1
                    continue
                while run > 15:
                    ac_syms.append(0xF0)
                    run -= 16
                ac_syms.append((run << 4) | category(zz[k]))
                run = 0
            ac_syms.append(0)
    dc_syms += list(range(12))  # every DC difference category is possible
    dcc, dcs, dcode = canonical(dc_syms)
    acc, acs, acode = canonical(ac_syms + [0xF0])
    w = BitWriter()
    pred = [0] * len(comps)
    seg = bytearray()
    rst = 0
    for index, unit in enumerate(order):
        if restart and index and index % restart == 0:
            w.flush()
            seg += w.out + bytes([0xFF, 0xD0 + rst])
            rst = (rst + 1) % 8
            w = BitWriter()
            pred = [0] * len(comps)
        for ci, by, bx in unit:
            zz = blocks[ci][(by, bx)]
            diff = int(zz[0]) - pred[ci]
            pred[ci] = int(zz[0])
            s = category(diff)
            w.put(*dcode[s])
            w.put(bits_of(diff, s), s)
            run = 0
            for k in range(1, 64):
                if zz[k] == 0:
                    run += 1
                    continue
                while run > 15:
                    w.put(*acode[0xF0])
                    run -= 16
                s = category(zz[k])
                w.put(*acode[(run << 4) | s])
                w.put(bits_of(int(zz[k]), s), s)
                run = 0
            if run:
                w.put(*acode[0])
    w.flush()
    seg += w.out

    def segment(marker, payload):
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    out = bytearray(b"\xFF\xD8")
    if jfif:
        out += segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if adobe is not None:
        out += segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00" + bytes([adobe]))
    out += segment(0xDB, bytes([0]) + bytes(int(v) for v in q.reshape(64)[ZIGZAG]))
    sof = bytes([8]) + struct.pack(">HH", height, width) + bytes([len(comps)])
    for cid, h, v in comps:
        sof += bytes([cid, (h << 4) | v, 0])
    out += segment(0xC0, sof)
    out += segment(0xC4, bytes([0x00]) + bytes(dcc) + bytes(dcs))
    out += segment(0xC4, bytes([0x10]) + bytes(acc) + bytes(acs))
    if restart:
        out += segment(0xDD, struct.pack(">H", restart))
    sos = bytes([len(comps)])
    for cid, h, v in comps:
        sos += bytes([cid, 0x00])
    out += segment(0xDA, sos + bytes([0, 63, 0]))
    out += seg + b"\xFF\xD9"
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out)
    return bytes(out)


def custom_jpeg(name, width, height, factors, restart=0, ids=(1, 2, 3), adobe=None, jfif=True,
                reference=True):
    hmax = max(f[0] for f in factors)
    vmax = max(f[1] for f in factors)
    mcux = -(-width // (8 * hmax))
    mcuy = -(-height // (8 * vmax))
    planes = []
    for ci, (h, v) in enumerate(factors):
        pw, ph = mcux * h * 8, mcuy * v * 8
        planes.append(smooth_image(pw, ph, 1)[:, :, 0])
    q = np.clip(np.add.outer(np.arange(8), np.arange(8)) * 2 + 3, 1, 255)
    comps = [(ids[i], h, v) for i, (h, v) in enumerate(factors)]
    encode_baseline(name, width, height, comps, planes, q, restart=restart, adobe=adobe, jfif=jfif)
    if reference:
        with Image.open(os.path.join(HERE, name)) as im:
            write_reference(name, im)


# ---- PNG: a small writer covering every colour type, depth, filter and Adam7 -----------------

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """samples: 1-D integer array of one scanline's samples."""
    if depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in samples)
    if depth == 8:
        return bytes(int(v) for v in samples)
    out = bytearray()
    per = 8 // depth
    for i in range(0, len(samples), per):
        byte = 0
        group = list(samples[i:i + per]) + [0] * (per - len(samples[i:i + per]))
        for v in group:
            byte = (byte << depth) | int(v)
        out.append(byte)
    return bytes(out)


def filter_row(kind, row, prev, bpp):
    out = bytearray(len(row))
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) >> 1
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[i] = (row[i] - pred) & 0xFF
    return bytes([kind]) + bytes(out)


def write_png(name, samples, color_type, depth, interlace=False, palette=None, trns=None,
              reference=True):
    """samples: (H, W, channels) integer array."""
    h, w, _ = samples.shape
    bpp = max(1, CHANNELS[color_type] * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    counter = 0
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        prev = bytes(len(pack_row(sub[0].reshape(-1), depth)))
        for row in sub:
            packed = pack_row(row.reshape(-1), depth)
            raw += filter_row(counter % 5, packed, prev, bpp)
            counter += 1
            prev = packed
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    out += chunk(b"tEXt", b"Comment\x00fixture")
    if palette is not None:
        out += chunk(b"PLTE", bytes(int(v) for v in palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    data = zlib.compress(bytes(raw), 9)
    out += chunk(b"IDAT", data[: len(data) // 2]) + chunk(b"IDAT", data[len(data) // 2:])
    out += chunk(b"IEND", b"")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(out)
    if reference:
        with Image.open(os.path.join(HERE, name)) as im:
            write_reference(name, im)
    return out


def png_fixtures(errors):
    combos = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4),
              (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)]
    for color_type, depth in combos:
        for interlace in (False, True):
            w, h = (13, 9) if not interlace else (11, 10)
            top = (1 << depth) - 1
            if color_type == 3:
                entries = min(1 << depth, 200)
                samples = rng.integers(0, entries, size=(h, w, 1))
                palette = rng.integers(0, 256, size=entries * 3)
            else:
                samples = rng.integers(0, top + 1, size=(h, w, CHANNELS[color_type]))
                if depth == 16 and color_type == 0:
                    # Mostly small values: Pillow clips 16-bit gray to 255, keep both sides.
                    samples = np.where(rng.random(samples.shape) < 0.6,
                                       rng.integers(0, 300, size=samples.shape), samples)
                palette = None
            name = f"png-type{color_type}-depth{depth}{'-adam7' if interlace else ''}.png"
            write_png(name, samples, color_type, depth, interlace, palette)
    # Adam7 on images too small for some passes.
    for w, h in [(1, 1), (3, 2), (2, 5)]:
        write_png(f"png-adam7-{w}x{h}.png", rng.integers(0, 256, size=(h, w, 3)), 2, 8, True)
    # tRNS in every form (ignored by convert("RGB")).
    write_png("png-gray-trns.png", rng.integers(0, 256, size=(6, 7, 1)), 0, 8,
              trns=struct.pack(">H", 17))
    write_png("png-rgb-trns.png", rng.integers(0, 256, size=(6, 7, 3)), 2, 8,
              trns=struct.pack(">HHH", 1, 2, 3))
    write_png("png-palette-trns.png", rng.integers(0, 4, size=(6, 7, 1)), 3, 2,
              palette=rng.integers(0, 256, size=12), trns=bytes([0, 128]))
    # Palette indices past the end of PLTE.
    write_png("png-palette-short.png", rng.integers(0, 16, size=(5, 6, 1)), 3, 4,
              palette=rng.integers(0, 256, size=9))
    # Damaged files.
    good = write_png("png-good-8x8.png", rng.integers(0, 256, size=(8, 8, 3)), 2, 8)
    bad = bytearray(good)
    bad[40] ^= 0xFF  # inside the tEXt or IHDR chunk: a CRC mismatch
    open(os.path.join(HERE, "png-bad-crc.png"), "wb").write(bad)
    errors.append(("png-bad-crc.png", "checksumMismatch"))
    open(os.path.join(HERE, "png-truncated.png"), "wb").write(good[: len(good) - 30])
    errors.append(("png-truncated.png", "truncated"))
    huge = bytearray(good)
    huge[16:24] = struct.pack(">II", 100000, 100000)
    crc = zlib.crc32(bytes(huge[12:29])) & 0xFFFFFFFF
    huge[29:33] = struct.pack(">I", crc)
    open(os.path.join(HERE, "png-huge.png"), "wb").write(huge)
    errors.append(("png-huge.png", "tooLarge"))
    # A 1×1 image whose IDAT inflates to 16 MiB: refused once the output passes the scanlines'
    # size (2 bytes here) instead of being inflated whole.
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * (16 << 20), 9)) + chunk(b"IEND", b""))
    open(os.path.join(HERE, "png-inflate-bomb.png"), "wb").write(bomb)
    errors.append(("png-inflate-bomb.png", "invalidData"))
    open(os.path.join(HERE, "not-an-image.png"), "wb").write(b"GIF89a not supported")
    errors.append(("not-an-image.png", "unknownFormat"))


# ---- torchvision's evaluation transform -----------------------------------------------------

TRANSFORM_CASES = [
    ("photo-150x113.jpg", 64, 56),
    ("photo-150x113.jpg", 113, 100),
    ("rgb420-64x48.jpg", 32, 28),
    ("rgb420-64x48.jpg", 100, 90),
    ("progressive420-45x33.jpg", 33, 33),
    ("png-portrait-50x80.png", 40, 35),
    ("gray-13x11.jpg", 24, 30),
    ("png-type2-depth8.png", 7, 5),
]


def transform_fixtures():
    save_pillow_jpeg("photo-150x113.jpg", smooth_image(150, 113), quality=90)
    write_png("png-portrait-50x80.png", smooth_image(50, 80), 2, 8)
    for name, resize, crop in TRANSFORM_CASES:
        pipeline = transforms.Compose([transforms.Resize(resize), transforms.CenterCrop(crop),
                                       transforms.ToTensor()])
        with Image.open(os.path.join(HERE, name)) as im:
            tensor = pipeline(im.convert("RGB"))
        assert tensor.shape == (3, crop, crop), tensor.shape
        tensor.numpy().astype("<f4").tofile(os.path.join(HERE, f"{name}.{resize}-{crop}.f32"))


def main():
    errors = []
    # Pillow-written JPEGs.
    save_pillow_jpeg("gray-13x11.jpg", smooth_image(13, 11, 1)[:, :, 0], quality=90)
    save_pillow_jpeg("rgb444-37x29.jpg", smooth_image(37, 29), quality=90, subsampling=0)
    save_pillow_jpeg("rgb422-37x29.jpg", smooth_image(37, 29), quality=85, subsampling=1)
    save_pillow_jpeg("rgb420-37x29.jpg", smooth_image(37, 29), quality=75, subsampling=2)
    save_pillow_jpeg("rgb420-1x1.jpg", smooth_image(1, 1), quality=90, subsampling=2)
    save_pillow_jpeg("rgb420-3x2.jpg", smooth_image(3, 2), quality=90, subsampling=2)
    save_pillow_jpeg("rgb420-64x48.jpg", smooth_image(64, 48), quality=95, subsampling=2)
    save_pillow_jpeg("progressive420-45x33.jpg", smooth_image(45, 33), quality=80,
                     subsampling=2, progressive=True)
    save_pillow_jpeg("progressive444-21x17.jpg", smooth_image(21, 17), quality=90,
                     subsampling=0, progressive=True)
    save_pillow_jpeg("progressive-gray-19x23.jpg", smooth_image(19, 23, 1)[:, :, 0],
                     quality=85, progressive=True)
    save_pillow_jpeg("progressive-optimized-40x30.jpg", smooth_image(40, 30), quality=70,
                     progressive=True, optimize=True)
    save_pillow_jpeg("restart-blocks-33x27.jpg", smooth_image(33, 27), quality=90,
                     restart_marker_blocks=3)
    save_pillow_jpeg("restart-progressive-33x27.jpg", smooth_image(33, 27), quality=90,
                     progressive=True, restart_marker_rows=1)
    save_pillow_jpeg("adobe-rgb-17x9.jpg", smooth_image(17, 9), quality=90, keep_rgb=True)
    # Odd sampling factors from our encoder (Pillow decodes them as the reference).
    custom_jpeg("sampling411-35x19.jpg", 35, 19, [(4, 1), (1, 1), (1, 1)])
    custom_jpeg("sampling440-23x37.jpg", 23, 37, [(1, 2), (1, 1), (1, 1)])
    custom_jpeg("sampling-mixed-29x21.jpg", 29, 21, [(2, 2), (1, 1), (2, 1)], restart=2)
    custom_jpeg("sampling31-26x10.jpg", 26, 10, [(3, 1), (1, 1), (1, 1)])
    custom_jpeg("sampling-chroma-larger-18x14.jpg", 18, 14, [(1, 1), (2, 2), (1, 1)])
    custom_jpeg("sampling-narrow-4x12.jpg", 4, 12, [(2, 2), (1, 1), (1, 1)])
    custom_jpeg("gray-sampled22-21x13.jpg", 21, 13, [(2, 2)])
    custom_jpeg("rgb-ids-12x12.jpg", 12, 12, [(1, 1), (1, 1), (1, 1)], ids=(82, 71, 66),
                jfif=False)
    custom_jpeg("restart-every-mcu-20x20.jpg", 20, 20, [(2, 2), (1, 1), (1, 1)], restart=1)
    # Unsupported kinds: Pillow refuses the non-integral one as well.
    custom_jpeg("sampling-nonintegral-24x8.jpg", 24, 8, [(3, 1), (2, 1), (1, 1)], reference=False)
    errors.append(("sampling-nonintegral-24x8.jpg", "unsupported"))
    Image.fromarray(smooth_image(16, 8, 4), "CMYK").save(os.path.join(HERE, "cmyk-16x8.jpg"))
    errors.append(("cmyk-16x8.jpg", "unsupported"))
    base = open(os.path.join(HERE, "rgb444-37x29.jpg"), "rb").read()
    sof = base.index(b"\xFF\xC0")
    for marker, label in [(0xC9, "arithmetic-sof9"), (0xC3, "lossless-sof3")]:
        data = bytearray(base)
        data[sof + 1] = marker
        open(os.path.join(HERE, label + ".jpg"), "wb").write(data)
        errors.append((label + ".jpg", "unsupported"))
    data = bytearray(base)
    data[sof + 4] = 12  # precision byte
    open(os.path.join(HERE, "precision12.jpg"), "wb").write(data)
    errors.append(("precision12.jpg", "unsupported"))
    open(os.path.join(HERE, "truncated.jpg"), "wb").write(base[: len(base) * 2 // 3])
    errors.append(("truncated.jpg", "truncated"))
    data = bytearray(base)
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    open(os.path.join(HERE, "huge.jpg"), "wb").write(data)
    errors.append(("huge.jpg", "tooLarge"))

    png_fixtures(errors)
    transform_fixtures()
    with open(os.path.join(HERE, "errors.txt"), "w") as f:
        for name, kind in errors:
            f.write(f"{name} {kind}\n")


if __name__ == "__main__":
    main()
