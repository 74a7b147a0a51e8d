"""How the step time grows: nnlab and PyTorch (CPU) against batch size, image side,
filters and sequence length, timed in alternation like bench_step.py.

Sweeps (SGD, one model changed along one axis at a time):
    batch    MLP and CNN on 28x28x1, batch 8 ... 512
    side     CNN, batch 32, images 16x16 ... 64x64
    filters  CNN Conv2D(32) - Conv2D(F), batch 32, F = 8 ... 128
    seq_len  LSTM(128), batch 128, 32 features, T = 10 ... 200

Usage:
    python benchmarks/bench_scaling.py [--threads 1] [--json scaling.json] [--quick]
"""
import argparse
import json
import os
import sys
import time

if __name__ == "__main__":
    from _threads import set_thread_env       # before NumPy is imported
    set_thread_env(sys.argv[1:])

import bench_step as bs  # noqa: E402

SWEEPS = {
    # name: (model, axis, values, fixed spec, batch)
    "batch_mlp": ("mlp", "batch", [8, 16, 32, 64, 128, 256, 512], {}, None),
    "batch_cnn": ("cnn", "batch", [8, 16, 32, 64, 128, 256, 512], {}, None),
    "side": ("cnn", "side", [16, 24, 32, 48, 64], {}, 32),
    "filters": ("cnn", "filters", [8, 16, 32, 64, 128], {}, 32),
    "seq_len": ("lstm", "seq_len", [10, 25, 50, 100, 200], {}, 128),
}


def repeats_for(model, batch, quick):
    """Enough steps for a stable median without spending minutes on the big ones."""
    if model == "mlp":
        return 20 if quick else 60
    return 2 if quick else (3 if batch >= 256 else 5)


def run_sweep(name, quick=False):
    model, axis, values, fixed, batch = SWEEPS[name]
    points = []
    for v in values:
        spec = dict(fixed)
        b = batch or 128
        if axis == "batch":
            b = v
        elif axis == "filters":
            spec["filters"] = (32, v)
        else:
            spec[axis] = v
        r = bs.compare(model, "sgd", b, warmup=1 if model != "mlp" else 5,
                       repeats=repeats_for(model, b, quick), **spec)
        r["x"] = v
        points.append(r)
        ratio = f"{r['ratio']:.2f}x" if "ratio" in r else ""
        torch_ms = f"{r['torch']['median']:9.2f}" if "torch" in r else ""
        print(f"  {name:9s} {axis}={v:<4d} nnlab {r['nnlab']['median']:9.2f} ms  "
              f"PyTorch {torch_ms} ms  {ratio}", flush=True)
    return {"model": model, "axis": axis, "points": points}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", default=None)
    p.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    p.add_argument("--sweeps", default=",".join(SWEEPS))
    args = p.parse_args(argv)
    bs.limit_threads(args.threads)
    out = {"threads": args.threads, "load_before": os.getloadavg(), "sweeps": {}}
    for name in [s.strip() for s in args.sweeps.split(",") if s.strip()]:
        t = time.perf_counter()
        out["sweeps"][name] = run_sweep(name, args.quick)
        print(f"{name}: {time.perf_counter() - t:.0f} s", flush=True)
    out["load_after"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
