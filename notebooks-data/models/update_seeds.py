"""Writes or refreshes notebooks-data/models/seeds.json, the seed manifest `figures --seeds` reads.

    python3 notebooks-data/models/update_seeds.py [MODELS_DIR]

Every run of train-seeds.sh (and the bundled models as seed 1) is listed with its command. For
each entry whose model file exists (bundled: beside this script; others: in MODELS_DIR), the
SHA-256, test error, wall time and throughput are read from the file itself (the provenance the
trainer writes into its metadata); entries without a file keep null results. Standard library only.
"""
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COMMON = ("--data mnist-5k --batch-size 64 --lr 0.1 --warmup 1 --schedule cosine --weight-decay 0.0005 "
          "--crop-padding 2")
RESNET = "resnet-lesion train --arch resnet --depth 110"
VGG = "resnet-lesion train --arch vgg --widths 16,32,64 --blocks-per-stage 5,5,4 --epochs 12"
VGG_NO_BN = (VGG + " --no-bn --lr 0.02 --data mnist-5k --batch-size 64 --warmup 1 --schedule cosine "
             "--weight-decay 0.0005 --crop-padding 2")


def kinds():
    """kind -> [(seed, file, bundled, command)] (commands as in train-seeds.sh)."""
    table = {}
    def add(kind, seed, file, bundled, command):
        table.setdefault(kind, []).append((seed, file, bundled, command))
    for seed in (1, 2, 3):
        b = seed == 1
        add("standard", seed, "resnet110.safetensors" if b else "resnet110-seed%d.safetensors" % seed, b,
            "%s --epochs 12 %s --seed %d" % (RESNET, COMMON, seed))
        add("stochastic-depth", seed,
            "resnet110-stochastic-depth.safetensors" if b else "resnet110-stochastic-depth-seed%d.safetensors" % seed,
            b, "%s --epochs 12 %s --seed %d --stochastic-depth 0.5" % (RESNET, COMMON, seed))
        add("baseline15", seed, "resnet110-baseline15-seed%d.safetensors" % seed, False,
            "%s --epochs 15 %s --seed %d --zero-init-residual --recalibrate-bn" % (RESNET, COMMON, seed))
        add("short-paths", seed, "resnet110-short-paths-seed%d.safetensors" % seed, False,
            "%s --epochs 15 %s --seed %d --active-blocks 23 --zero-init-residual" % (RESNET, COMMON, seed))
        add("gradient-paths", seed, "resnet110-gradient-paths-seed%d.safetensors" % seed, False,
            "%s --epochs 15 %s --seed %d --gradient-paths 23 --zero-init-residual --recalibrate-bn"
            % (RESNET, COMMON, seed))
        add("vgg-bn", seed, "plain.safetensors" if b else "vgg-bn-seed%d.safetensors" % seed, b,
            "%s %s --seed %d" % (VGG, COMMON, seed))
        add("vgg-nobn", seed, "vgg-nobn-seed%d.safetensors" % seed, False, "%s --seed %d" % (VGG_NO_BN, seed))
    return table


def provenance(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    return json.loads(header.get("__metadata__", {}).get("provenance", "{}"))


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    models_dir = sys.argv[1] if len(sys.argv) > 1 else None
    manifest = {
        "description": "Models per kind and training seed for `resnet-lesion figures --seeds` (Fig. 8, §5.2 table). "
                       "Bundled paths are relative to this folder, the others to --models-dir. Results "
                       "(sha256, test_error, wall_seconds, images_per_second) are read from each model file's "
                       "provenance by update_seeds.py; null: the run had not finished when this was written.",
        "kinds": {},
    }
    for kind, entries in kinds().items():
        rows = []
        for seed, file, bundled, command in entries:
            row = {"seed": seed, "path": file, "bundled": bundled, "command": command,
                   "sha256": None, "test_error": None, "wall_seconds": None, "images_per_second": None}
            base = HERE if bundled else models_dir
            path = os.path.join(base, file) if base else None
            p = provenance(path) if path and os.path.exists(path) else {}
            if p and p.get("epoch") != p.get("epochs"):
                row["status"] = "training (epoch %s of %s)" % (p.get("epoch"), p.get("epochs"))
            elif p:
                row["sha256"] = sha256(path)
                row["test_error"] = float(p["test_error"]) if "test_error" in p else None
                row["wall_seconds"] = float(p["wall_time_seconds"]) if "wall_time_seconds" in p else None
                row["images_per_second"] = float(p["images_per_second"]) if "images_per_second" in p else None
                command = p.get("command", "").split(" ")
                if "--output" in command[:-1]:  # the file name only, not the training machine's folder
                    i = command.index("--output") + 1
                    command[i] = os.path.basename(command[i])
                row["trained_command"] = " ".join(command)
            rows.append(row)
        manifest["kinds"][kind] = rows
    out = os.path.join(HERE, "seeds.json")
    with open(out + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(out + ".tmp", out)
    print("| kind | seed | file | test error | wall time | images/s | SHA-256 (first 12) |")
    print("|---|---|---|---|---|---|---|")
    for kind, rows in manifest["kinds"].items():
        for r in rows:
            if r["test_error"] is None:
                print("| `%s` | %d | `%s` | %s | | | |" % (kind, r["seed"], r["path"], r.get("status", "not run yet")))
                continue
            wall = r["wall_seconds"] or 0
            print("| `%s` | %d | `%s`%s | %.2f%% (%d/1000) | %d min %02d s | %.1f | `%s` |" % (
                kind, r["seed"], r["path"], " (bundled)" if r["bundled"] else "", 100 * r["test_error"],
                round(1000 * r["test_error"]), wall // 60, wall % 60, r["images_per_second"] or 0, r["sha256"][:12]))
    print()
    for kind, rows in manifest["kinds"].items():
        done = ["%d: %s" % (r["seed"], "%.2f%%" % (100 * r["test_error"]) if r["test_error"] is not None else "pending")
                for r in rows]
        print("%-16s %s" % (kind, ", ".join(done)))


if __name__ == "__main__":
    main()
