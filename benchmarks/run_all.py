"""Reproduce every table and figure of benchmarks/README.md with one command.

    python benchmarks/run_all.py            # about 10 minutes on the 2-core build machine
    python benchmarks/run_all.py --quick    # a smoke test: few repeats, numbers not for the README
    python benchmarks/run_all.py --report   # only redraw the tables and figures from results/

Runs, each script in its own process (the BLAS reads its thread count at start-up):
    bench_step.py    MLP, CNN, LSTM step vs PyTorch; 1 and 2 threads; SGD and Adam
    bench_extra.py   GEMM peak and the convolutions' share of it (1 and 2 threads), fit
                     overhead and predict throughput on digits, peak memory of a CNN step,
                     import time (1 thread)
    bench_scaling.py step time against batch, image side, filters, sequence length (1 thread)
and writes results/*.json, results/results.md (the tables, with the machine and its load)
and the figure scaling.png (time against each variable, and the ratios).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
TARGETS = {"mlp": 1.0, "cnn": 1.0, "lstm": 1.5}


def uptime():
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def run(script, *args):
    cmd = [sys.executable, os.path.join(HERE, script), *map(str, args)]
    print(f"\n$ {' '.join(cmd[1:])}    ({uptime()})", flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=HERE)
    print(f"   ({time.perf_counter() - t:.0f} s)", flush=True)


def measure(quick):
    os.makedirs(RESULTS, exist_ok=True)
    repeats = 3 if quick else 15
    loads = {"start": uptime()}
    for threads in (1, 2):
        for opt in ("sgd", "adam"):
            run("bench_step.py", "--threads", threads, "--optimizer", opt, "--warmup", 2,
                "--repeats", repeats, "--mlp-factor", 10,
                "--json", os.path.join(RESULTS, f"step_{threads}_{opt}.json"))
            loads[f"step_{threads}_{opt}"] = uptime()
    run("bench_extra.py", "--threads", 1, "--json", os.path.join(RESULTS, "extra_1.json"))
    run("bench_extra.py", "--threads", 2, "--parts", "conv,memory",
        "--json", os.path.join(RESULTS, "extra_2.json"))
    loads["extra"] = uptime()
    run("bench_scaling.py", "--threads", 1, *(["--quick"] if quick else []),
        "--json", os.path.join(RESULTS, "scaling.json"))
    loads["end"] = uptime()
    with open(os.path.join(RESULTS, "machine.json"), "w") as f:
        json.dump({"loads": loads, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   "platform": platform.platform(), "cpus": os.cpu_count(),
                   "quick": quick, "versions": versions()}, f, indent=1)


def versions():
    out = subprocess.run(
        [sys.executable, "-c",
         "import numpy, nnlab, threadpoolctl\n"
         "blas = [f\"{p['internal_api']} {p['version']}\" for p in threadpoolctl.threadpool_info()"
         " if p['user_api'] == 'blas']\n"
         "try:\n import torch; t = torch.__version__\nexcept ImportError:\n t = None\n"
         "print(numpy.__version__, nnlab.__version__, blas[0] if blas else '?', t, sep='|')"],
        capture_output=True, text=True, check=True).stdout.strip().split("|")
    return dict(zip(("numpy", "nnlab", "blas", "torch"), out))


def load(name):
    with open(os.path.join(RESULTS, name)) as f:
        return json.load(f)


# ---------------------------------------------------------------------------- tables

def tables():
    lines = []
    m = load("machine.json")
    v = m["versions"]
    lines.append(f"Measured {m['date']} on {m['cpus']} CPUs ({m['platform']}); nnlab "
                 f"{v['nnlab']}, NumPy {v['numpy']} ({v['blas']}), PyTorch {v['torch']}."
                 + (" QUICK RUN: few repeats, not for the README." if m["quick"] else ""))
    lines.append("Load (`os.getloadavg`, 1/5/15 min) during the run: "
                 + "; ".join(f"{k}: {val.replace('load average ', '')}"
                             for k, val in m["loads"].items()) + ".")
    lines += ["", "### Training step, nnlab / PyTorch (medians, timed in alternation)", "",
              "| threads | optimizer | model | nnlab ms | PyTorch ms | nnlab / PyTorch | target |",
              "|---:|---|---|---:|---:|---:|---|"]
    for threads in (1, 2):
        for opt in ("sgd", "adam"):
            for r in load(f"step_{threads}_{opt}.json"):
                ok = "ok" if r["ratio"] <= TARGETS[r["model"]] else "**missed**"
                lines.append(f"| {threads} | {'SGD' if opt == 'sgd' else 'Adam'} | "
                             f"{r['model'].upper()} | {r['nnlab']['median']:.2f} | "
                             f"{r['torch']['median']:.2f} | {r['ratio']:.2f}× | "
                             f"≤ {TARGETS[r['model']]}× {ok} |")
    e1, e2 = load("extra_1.json"), load("extra_2.json")
    lines += ["", "### The convolutions against the GEMM peak", "",
              "FLOPs of the matrix products in the CNN's two Conv2D layers per step "
              f"({e1['conv']['conv_gflop']:.2f} GFLOP: forward and weight gradient of both, "
              "input gradient of the second), divided by their forward + backward time, "
              "as a share of a 2048² float32 GEMM's rate.", "",
              "| threads | GEMM peak GFLOP/s | nnlab convs ms | nnlab GFLOP/s | share of peak "
              "| PyTorch convs ms | PyTorch GFLOP/s | share of peak |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for e in (e1, e2):
        c = e["conv"]
        lines.append(f"| {e['threads']} | {c['gemm_peak_gflops']:.1f} | {c['nnlab_conv_ms']:.1f} | "
                     f"{c['nnlab_conv_gflops']:.1f} | {c['nnlab_conv_peak_fraction']:.0%} | "
                     f"{c.get('torch_conv_ms', float('nan')):.1f} | "
                     f"{c.get('torch_conv_gflops', float('nan')):.1f} | "
                     f"{c.get('torch_conv_peak_fraction', float('nan')):.0%} |")
    f = e1["fit"]
    lines += ["", "### fit and predict on digits (README's CNN, Adam, batch 32, 1 thread)", "",
              "| quantity | nnlab | PyTorch (plain loop) |", "|---|---:|---:|",
              f"| one epoch of `fit` ({f['samples']} samples, {f['steps']} batches, progress bar "
              f"and accuracy) | {f['fit_epoch_ms']:.0f} ms | {f.get('torch_epoch_ms', float('nan')):.0f} ms |",
              f"| the same batches through the bare step | {f['bare_epoch_ms']:.0f} ms | |",
              f"| fit's overhead per batch: epoch difference | {f['fit_overhead_per_batch_ms']:.3f} ms "
              f"({f['fit_overhead_share']:.1%} of the step) | |",
              f"| fit's overhead per batch, timed directly: the loop with a stub step, less the batch gather "
              f"({f['fit_loop_per_batch_ms']:.3f} ms) + penalties and metrics in the step "
              f"({f['fit_step_extras_per_batch_ms']:.3f} ms) | "
              f"{f['fit_bookkeeping_per_batch_ms']:.3f} ms ({f['fit_bookkeeping_share']:.1%} of "
              f"the step; target ≤ 5 % {'ok' if f['fit_bookkeeping_share'] <= 0.05 else '**missed**'}) | |",
              f"| `predict` throughput ({f['predict_samples']} digits, batch 32) | "
              f"{f['predict_samples_per_s']:,.0f} samples/s | "
              f"{f.get('torch_predict_samples_per_s', float('nan')):,.0f} samples/s |"]
    lines += ["", "### Peak memory of one CNN training step (batch 128)", "",
              "Resident memory above what the process held before the step (after two "
              "warm-up steps), each framework in a fresh process; nnlab's tracemalloc "
              "peak (NumPy reports its allocations) for comparison.", "",
              "| threads | nnlab MiB | nnlab tracemalloc MiB | PyTorch MiB | nnlab / PyTorch |",
              "|---:|---:|---:|---:|---:|"]
    for e in (e1, e2):
        mem = e["memory"]
        t = mem.get("torch", {}).get("step_peak_mib", float("nan"))
        lines.append(f"| {e['threads']} | {mem['nnlab']['step_peak_mib']:.0f} | "
                     f"{mem['nnlab']['tracemalloc_peak_mib']:.0f} | {t:.0f} | "
                     f"{mem['nnlab']['step_peak_mib'] / t:.2f}× |")
    i = e1["import"]
    lines += ["", "### Import time (fresh interpreter, median of 7)", "",
              "| statement | seconds | target |", "|---|---:|---|",
              f"| `import nnlab` (submodules load lazily) | {i['import_nnlab_s']:.3f} | ≤ 0.3 s "
              f"{'ok' if i['import_nnlab_s'] <= 0.3 else '**missed**'} |",
              f"| `import nnlab; nnlab.Sequential; nnlab.layers.Dense` (loads NumPy, the "
              f"layers and models) | {i['import_with_layers_and_models_s']:.3f} | |"]
    s = load("scaling.json")
    lines += ["", "### Cost growth (1 thread; figure scaling.png)", "",
              "| sweep | " + " | ".join(["value", "nnlab ms", "PyTorch ms", "ratio"]) + " |",
              "|---|---:|---:|---:|---:|"]
    for name, sw in s["sweeps"].items():
        for pt in sw["points"]:
            lines.append(f"| {name} | {pt['x']} | {pt['nnlab']['median']:.2f} | "
                         f"{pt['torch']['median']:.2f} | {pt['ratio']:.2f}× |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- figures

LABELS = {"batch_mlp": ("MLP: batch size", "batch"), "batch_cnn": ("CNN: batch size", "batch"),
          "side": ("CNN, batch 32: image side", "side (pixels)"),
          "filters": ("CNN Conv(32)-Conv(F), batch 32: filters", "F"),
          "seq_len": ("LSTM(128), batch 128: sequence length", "T")}
# Expected growth exponent of the work in the swept variable (for the dotted guide):
# linear in batch, filters and T; the convolutions' output area ~ (side - 2)² ~ side².
EXPECTED = {"batch_mlp": 1, "batch_cnn": 1, "side": 2, "filters": 1, "seq_len": 1}


def figures():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = load("scaling.json")
    names = list(s["sweeps"])
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    axes = axes.ravel()
    for ax, name in zip(axes, names):
        pts = s["sweeps"][name]["points"]
        xs = [p["x"] for p in pts]
        ours = [p["nnlab"]["median"] for p in pts]
        theirs = [p["torch"]["median"] for p in pts]
        ax.loglog(xs, ours, "o-", label="nnlab")
        ax.loglog(xs, theirs, "s--", label="PyTorch 2.13 (CPU)")
        k = EXPECTED[name]
        guide = [theirs[-1] * (x / xs[-1]) ** k for x in xs]
        ax.loglog(xs, guide, ":", color="grey", label=f"∝ x^{k} (the work's growth)")
        ax.set_title(LABELS[name][0], fontsize=9)
        ax.set_xlabel(LABELS[name][1])
        ax.set_ylabel("ms per training step")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    ax = axes[len(names)]
    for name in names:
        pts = s["sweeps"][name]["points"]
        ax.semilogx([p["x"] / pts[0]["x"] for p in pts], [p["ratio"] for p in pts], "o-",
                    label=LABELS[name][0])
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("x / smallest x of the sweep")
    ax.set_ylabel("nnlab / PyTorch")
    ax.set_title("Ratio along each sweep", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    for extra in axes[len(names) + 1:]:
        extra.axis("off")
    m = load("machine.json")
    fig.suptitle(f"Training-step time, 1 thread, SGD ({m['date']}; load: "
                 f"{m['loads']['end'].replace('load average ', '')})", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "scaling.png"), dpi=100)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--report", action="store_true", help="only redraw from results/")
    args = p.parse_args(argv)
    if not args.report:
        measure(args.quick)
    text = tables()
    with open(os.path.join(RESULTS, "results.md"), "w") as f:
        f.write(text)
    figures()
    print("\n" + text)
    print(f"Written: {os.path.relpath(RESULTS)}/results.md and {os.path.relpath(HERE)}/scaling.png")


if __name__ == "__main__":
    main()
