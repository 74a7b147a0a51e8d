"""The other figures of issue 13: how close the convolutions come to the BLAS's GEMM peak,
`fit`'s per-batch overhead and `predict`'s throughput on digits, the peak memory of one
CNN step, and the time of `import nnlab`.

Usage:
    python benchmarks/bench_extra.py [--threads 1] [--parts conv,fit,memory,import]
                                     [--json out.json]

    conv    GEMM peak of NumPy's BLAS (a 2048x2048 float32 product) and the
            GFLOP/s of the CNN's two Conv2D layers in a training step (forward, weight
            gradient, input gradient of the second layer: the FLOPs of their matrix
            products), nnlab and PyTorch, as a fraction of that peak; all three timed
            in alternation, medians.
    fit     the README's digits CNN (Conv2D(16) - MaxPool - Dense(10, softmax), Adam,
            batch 32): one epoch of `fit` against the same batches through the bare
            step (forward, loss, backward, optimizer.apply); the difference is fit's
            overhead (shuffling, label checks, metrics, logs, callbacks, progress bar).
            Then `predict` over all 1,797 digits (batch 32), and the same in PyTorch.
    memory  peak resident memory of one CNN step (batch 128) above the memory before the
            step, each framework in a fresh process (Linux: VmHWM reset through
            /proc/self/clear_refs); nnlab's tracemalloc peak too.
    import  `import nnlab` in a fresh interpreter, median of 7.
"""
import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--parts", default="conv,fit,memory,import")
    p.add_argument("--json", default=None)
    p.add_argument("--memory-child", choices=("nnlab", "torch"), default=None,
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.parts = [s.strip() for s in args.parts.split(",") if s.strip()]
    return args


if __name__ == "__main__":
    from _threads import set_thread_env       # before NumPy is imported
    set_thread_env(sys.argv[1:])

import numpy as np  # noqa: E402

import bench_step as bs  # noqa: E402
import nnlab  # noqa: E402
from nnlab import layers  # noqa: E402

torch = bs.torch


def median_of(fn, repeats=5, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def alternating_medians(fns, repeats, warmup=1):
    """Median seconds of each function, timed in alternation (same load for all)."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return [statistics.median(ts) for ts in times]


# ----------------------------------------------------------------------------- conv

def gemm_peak_step():
    """A large float32 matrix product (2048², 17.2 GFLOP): the most the BLAS gets out of
    the CPU. Returns (function to time, its FLOPs)."""
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    return (lambda: a @ a), 2 * 2048 ** 3


def conv_flops(batch=128, side=28, filters=(32, 64), k=3):
    """FLOPs of the matrix products one training step needs in the two Conv2D layers:
    forward and weight gradient of both, input gradient of the second only."""
    o1, o2 = side - k + 1, side - 2 * (k - 1)
    one = 2 * batch * o1 * o1 * (k * k * 1) * filters[0]
    two = 2 * batch * o2 * o2 * (k * k * filters[0]) * filters[1]
    return 2 * one + 3 * two


def conv_steps():
    """Functions running the CNN's two Conv2D layers' forward + backward, per framework."""
    x, _ = bs.make_data(128, "cnn")
    model = bs.nnlab_model("cnn", "sgd")
    conv1, conv2 = model.layers[0], model.layers[1]
    a1 = conv1(x, training=True)
    g2 = np.random.default_rng(1).standard_normal(conv2(a1).shape).astype(np.float32)
    g1 = np.random.default_rng(2).standard_normal(a1.shape).astype(np.float32)

    def ours():
        a = conv1(x, training=True)
        conv2(a, training=True)
        conv2.backward(g2)
        conv1.backward(g1, input_grad=False)      # the first layer, as in fit
    steps = {"nnlab": ours}
    if torch is not None:
        nn = torch.nn
        torch.manual_seed(0)
        c1, c2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        tx = bs.to_torch(x)
        tg2 = torch.from_numpy(g2.transpose(0, 3, 1, 2).copy())
        tg1 = torch.from_numpy(g1.transpose(0, 3, 1, 2).copy())

        def theirs():
            a = torch.relu(c1(tx))
            a.retain_grad()
            z = torch.relu(c2(a))
            torch.autograd.backward([z, a], [tg2, tg1])
        steps["torch"] = theirs
    return steps


def part_conv(repeats=9):
    """GEMM peak and the convolutions, timed in alternation (the same load for all)."""
    gemm, gemm_flops = gemm_peak_step()
    steps = conv_steps()
    times = alternating_medians([gemm, *steps.values()], repeats)
    peak = gemm_flops / times[0] / 1e9
    flops = conv_flops()
    out = {"gemm_peak_gflops": peak, "conv_gflop": flops / 1e9}
    for name, t in zip(steps, times[1:]):
        out[name + "_conv_ms"] = t * 1e3
        out[name + "_conv_gflops"] = flops / t / 1e9
        out[name + "_conv_peak_fraction"] = flops / t / 1e9 / peak
    return out


# ------------------------------------------------------------------------------ fit

def digits():
    (x_train, y_train), (x_test, y_test) = nnlab.datasets.digits.load_data()
    x = np.concatenate([x_train, x_test])[..., None].astype(np.float32) / 16.0
    return x_train[..., None].astype(np.float32) / 16.0, y_train, x


def readme_cnn():
    nnlab.utils.set_random_seed(0)
    model = nnlab.Sequential([nnlab.Input(shape=(8, 8, 1)),
                              layers.Conv2D(16, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def part_fit(batch=32, epochs=9):
    x, y, x_all = digits()
    model = readme_cnn()
    sink = io.StringIO()

    def fit_epoch():
        with redirect_stdout(sink):                 # the progress bar is drawn, unseen
            model.fit(x, y, epochs=1, batch_size=batch, verbose=1)

    # The same batches through the bare step: what fit must do per batch anyway.
    loss, opt = model.loss, model.optimizer
    y_f = y.astype(np.int64)

    def bare_epoch():
        order = nnlab.random.generator().permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            xb, yb = x[idx], y_f[idx]
            y_pred = model.forward(xb, training=True)
            loss(yb, y_pred)
            model.backward(loss.gradient(yb, y_pred), input_grad=False)
            params, grads = model._params_and_grads()
            opt.apply(grads, params)
    fit_s, bare_s = alternating_medians([fit_epoch, bare_epoch], epochs)
    steps = -(-len(x) // batch)

    # What fit adds per batch, timed directly (the difference of the two epoch times above
    # is within the noise of a shared machine): (1) one epoch of fit with its training step
    # replaced by a stub — the loop, argument and label checks, logs, callbacks, progress
    # bar; minus the shuffled batch gather, which the bare step does too — and (2) what fit's step does beyond the bare step: penalties, the
    # trainable-weights check, the metrics.
    xb, yb = x[:batch], model._cast_y(y[:batch])
    y_pred = model.forward(xb)
    params, _ = model._params_and_grads()

    def step_extras():
        0.5 + sum(model.losses)
        for layer in model.layers:
            layer.add_penalty_gradients()
        model._params_and_grads()
        model._check_trainable_unchanged(params)
        for metric in model.compiled_metrics:
            metric.update_state(yb, y_pred)
    extras_s = median_of(lambda: [step_extras() for _ in range(100)], 7) / 100
    model._train_step = lambda xb, yb: 0.5             # the stub (an instance attribute)
    loop_s = median_of(fit_epoch, 9)
    del model._train_step                               # back to the real step

    def gathers():                                      # the bare step's batch gather,
        order = nnlab.random.generator().permutation(len(x))   # which the stub loop
        for start in range(0, len(x), batch):           # also does: not fit's overhead
            idx = order[start:start + batch]
            x[idx], y_f[idx]
    loop_s -= median_of(gathers, 9)
    book_s = loop_s / steps + extras_s

    def predict():
        with redirect_stdout(sink):
            model.predict(x_all, batch_size=batch, verbose=0)
    predict_s = median_of(predict, epochs)
    out = {"samples": len(x), "batch": batch, "steps": steps,
           "fit_epoch_ms": fit_s * 1e3, "bare_epoch_ms": bare_s * 1e3,
           "fit_overhead_per_batch_ms": (fit_s - bare_s) / steps * 1e3,
           "fit_overhead_share": (fit_s - bare_s) / bare_s,
           "fit_loop_per_batch_ms": loop_s / steps * 1e3,
           "fit_step_extras_per_batch_ms": extras_s * 1e3,
           "fit_bookkeeping_per_batch_ms": book_s * 1e3,
           "fit_bookkeeping_share": book_s / (bare_s / steps),
           "predict_samples": len(x_all), "predict_samples_per_s": len(x_all) / predict_s}
    if torch is not None:
        nn = torch.nn
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(16 * 3 * 3, 10))
        topt = torch.optim.Adam(net.parameters(), lr=0.001)
        tx, ty = bs.to_torch(x), torch.from_numpy(y_f)
        tall = bs.to_torch(x_all)

        def torch_epoch():
            order = torch.randperm(len(tx))
            total = 0.0
            for start in range(0, len(tx), batch):
                idx = order[start:start + batch]
                topt.zero_grad(set_to_none=True)
                loss_t = torch.nn.functional.cross_entropy(net(tx[idx]), ty[idx])
                loss_t.backward()
                topt.step()
                total += loss_t.item()
        out["torch_epoch_ms"] = median_of(torch_epoch, epochs) * 1e3

        def torch_predict():
            with torch.no_grad():
                for start in range(0, len(tall), batch):
                    torch.softmax(net(tall[start:start + batch]), dim=1).numpy()
        out["torch_predict_samples_per_s"] = len(x_all) / median_of(torch_predict, epochs)
    return out


# --------------------------------------------------------------------------- memory

def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(framework, threads):
    """In a fresh process: peak RSS of one CNN step above the RSS before it (MiB)."""
    bs.limit_threads(threads)
    x, y = bs.make_data(128, "cnn")
    if framework == "nnlab":
        step = bs.nnlab_step(bs.nnlab_model("cnn", "sgd"))
    else:
        step = bs.torch_step(*bs.torch_model("cnn", "sgd"))
        x, y = bs.to_torch(x), torch.from_numpy(y)
    for _ in range(2):
        step(x, y)                                  # builds, allocator warm-up
    before = _rss_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:   # reset VmHWM to the current RSS
        f.write("5")
    step(x, y)
    out = {"rss_before_mib": before / 1024,
           "step_peak_mib": (_rss_kib("VmHWM") - before) / 1024}
    if framework == "nnlab":
        import tracemalloc
        tracemalloc.start()
        step(x, y)
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    print(json.dumps(out))


def part_memory(threads):
    out = {}
    for fw in ("nnlab", "torch") if torch is not None else ("nnlab",):
        res = subprocess.run([sys.executable, __file__, "--threads", str(threads),
                              "--memory-child", fw], capture_output=True, text=True,
                             check=True, cwd=HERE)
        out[fw] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


# --------------------------------------------------------------------------- import

def part_import(runs=7):
    code = "import time; t = time.perf_counter(); import nnlab; print(time.perf_counter() - t)"
    code_full = ("import time; t = time.perf_counter(); import nnlab; nnlab.Sequential; "
                 "nnlab.layers.Dense; print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", c], capture_output=True, text=True,
                                  check=True).stdout) for c in (code, code_full) for _ in range(runs)]
    return {"import_nnlab_s": statistics.median(times[:runs]),
            "import_with_layers_and_models_s": statistics.median(times[runs:])}


def main(args):
    if args.memory_child:
        memory_child(args.memory_child, args.threads)
        return None
    bs.limit_threads(args.threads)
    out = {"threads": args.threads, "load_before": os.getloadavg()}
    for part in args.parts:
        t = time.perf_counter()
        if part == "conv":
            out["conv"] = part_conv()
        elif part == "fit":
            out["fit"] = part_fit()
        elif part == "memory":
            out["memory"] = part_memory(args.threads)
        elif part == "import":
            out["import"] = part_import()
        else:
            raise SystemExit(f"unknown part {part!r}")
        print(f"{part} ({time.perf_counter() - t:.0f} s): {json.dumps(out[part], indent=1)}",
              flush=True)
    out["load_after"] = os.getloadavg()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main(parse_args())
