"""Time one training step of the course's MLP and CNN in nnlab and in PyTorch (CPU).

One step = forward pass, loss, backward pass and optimizer update on one batch of
128 random float32 images of 28x28x1 (fixed seed), with the same optimizer (SGD,
learning rate 0.01, or Adam with --optimizer adam) on both sides.

    MLP: Flatten - Dense(256, relu) - Dense(128, relu) - Dense(10, softmax),
         categorical cross-entropy
    CNN: Conv2D(32, 3x3, relu) - Conv2D(64, 3x3, relu) - MaxPooling2D(2) - Flatten -
         Dense(128, relu) - Dense(10), categorical cross-entropy from logits

The steps of the two frameworks are timed in alternation (one nnlab step, one PyTorch
step, ...) so that both see the same load on a shared machine; each step is timed on
its own and the table shows medians and quartiles. Each framework computes the loss its idiomatic way: nnlab a softmax layer and the
cross-entropy (MLP) or the cross-entropy from logits (CNN); PyTorch
`F.cross_entropy` on logits, with one-hot targets.

Usage:
    python benchmarks/bench_step.py [--threads 1] [--repeats 30] [--warmup 5]
                                    [--optimizer sgd|adam] [--models mlp,cnn]
                                    [--profile cnn]

--threads sets the threads of NumPy's BLAS (through OPENBLAS_NUM_THREADS & co, set
before NumPy is imported, and threadpoolctl when available) and
`torch.set_num_threads` to the same number. PyTorch is optional
(`pip install torch==2.13.0`, pinned: an unpinned install pulls a CUDA build); without
it only nnlab's times are printed. --profile runs cProfile on nnlab's step and prints
the time spent in each layer's forward and backward.
"""
import argparse
import os
import statistics
import sys
import time

TARGETS = {"mlp": 1.0, "cnn": 1.0, "lstm": 1.5}  # nnlab / PyTorch ratios (issue 13)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1,
                   help="threads for NumPy's BLAS and for PyTorch (default 1)")
    p.add_argument("--repeats", type=int, default=30, help="timed steps (default 30)")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (default 5)")
    p.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    p.add_argument("--models", default="mlp,cnn,lstm", help="comma-separated: mlp,cnn,lstm")
    p.add_argument("--profile", choices=("mlp", "cnn", "lstm"), default=None,
                   help="profile nnlab's step of this model, layer by layer")
    p.add_argument("--mlp-factor", type=int, default=1,
                   help="time the (fast, noisier) MLP this many times more often")
    p.add_argument("--train-on-batch", action="store_true",
                   help="also time the public model.train_on_batch")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in args.models:
        if m not in TARGETS:
            p.error(f"unknown model {m!r}; choose among mlp, cnn, lstm")
    if args.threads < 1 or args.repeats < 1 or args.warmup < 0:
        p.error("--threads and --repeats must be >= 1, --warmup >= 0")
    return args


# BLAS libraries read their thread count once, when NumPy loads them: set it first. (A
# script that imports this module sets it itself, before importing it.)
if __name__ == "__main__":
    from _threads import set_thread_env
    set_thread_env(sys.argv[1:])

import numpy as np  # noqa: E402

import nnlab  # noqa: E402
from nnlab import layers, losses, optimizers  # noqa: E402

try:
    import threadpoolctl  # comes with scikit-learn
except ImportError:  # pragma: no cover
    threadpoolctl = None


def limit_threads(n):
    """The same number of threads for NumPy's BLAS and for PyTorch."""
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(n)
    if torch is not None:
        torch.set_num_threads(n)


try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


# ------------------------------------------------------------------------ the data

SEQ_LEN, SEQ_FEATURES = 50, 32      # the LSTM's sequences


def make_data(batch, kind="cnn", side=28, seq_len=SEQ_LEN):
    rng = np.random.default_rng(0)
    shape = (batch, seq_len, SEQ_FEATURES) if kind == "lstm" else (batch, side, side, 1)
    x = rng.random(shape, dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    y = np.eye(10, dtype=np.float32)[labels]
    return x, y


# --------------------------------------------------------------------------- nnlab

def nnlab_model(kind, optimizer, side=28, filters=(32, 64), seq_len=SEQ_LEN):
    """The benchmark's model; side, filters and seq_len change it for the cost curves."""
    nnlab.utils.set_random_seed(0)
    if kind == "mlp":
        model = nnlab.models.Sequential([
            layers.Input(shape=(side, side, 1)),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        loss = losses.CategoricalCrossentropy()
    elif kind == "lstm":
        model = nnlab.models.Sequential([
            layers.Input(shape=(seq_len, SEQ_FEATURES)),
            layers.LSTM(128),
            layers.Dense(10),
        ])
        loss = losses.CategoricalCrossentropy(from_logits=True)
    else:
        model = nnlab.models.Sequential([
            layers.Input(shape=(side, side, 1)),
            layers.Conv2D(filters[0], (3, 3), activation="relu"),
            layers.Conv2D(filters[1], (3, 3), activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10),
        ])
        loss = losses.CategoricalCrossentropy(from_logits=True)
    opt = (optimizers.SGD(learning_rate=0.01) if optimizer == "sgd"
           else optimizers.Adam(learning_rate=0.001))
    # What compile(optimizer=opt, loss=loss) would store; kept here so the step below
    # uses only the Layer/Loss/Optimizer contracts of CONTRIBUTING.md.
    model.bench_loss, model.bench_optimizer = loss, opt
    return model


def nnlab_step(model):
    """One step through the public contracts: forward, loss, backward, optimizer.apply.

    This is what `Model.fit` does per batch. (`train_on_batch` also re-checks the
    labels with an extra inference pass on every call, so it is timed separately.)
    """
    loss, opt = model.bench_loss, model.bench_optimizer

    def step(x, y):
        y_pred = model.forward(x, training=True)
        loss(y, y_pred)
        model.backward(loss.gradient(y, y_pred), input_grad=False)   # as fit does
        params = [p for layer in model.layers if layer.trainable for p in layer.params.values()]
        grads = [g for layer in model.layers if layer.trainable for g in layer.grads.values()]
        opt.apply(grads, params)
    return step


# ------------------------------------------------------------------------- PyTorch

def torch_model(kind, optimizer, side=28, filters=(32, 64), seq_len=SEQ_LEN):
    torch.manual_seed(0)
    nn = torch.nn
    if kind == "mlp":
        model = nn.Sequential(
            nn.Flatten(), nn.Linear(side * side, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, 10))
    elif kind == "lstm":
        model = LastStepLSTM(nn)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, filters[0], 3), nn.ReLU(), nn.Conv2d(filters[0], filters[1], 3),
            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(filters[1] * ((side - 4) // 2) ** 2, 128), nn.ReLU(),
            nn.Linear(128, 10))
    opt = (torch.optim.SGD(model.parameters(), lr=0.01) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=0.001))
    return model, opt


def LastStepLSTM(nn):
    """nn.LSTM(32 -> 128) on batch-first sequences, then Linear(128 -> 10) on h_T."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(SEQ_FEATURES, 128, batch_first=True)
            self.dense = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.dense(h[-1])
    return Net()


def torch_step(model, opt):
    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()  # nnlab returns the loss as a Python float, so does this
    return step


# ------------------------------------------------------------------------- timing

def summarize(times):
    """Median and quartiles, in milliseconds."""
    q = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return {"median": statistics.median(times), "q1": q[0], "q3": q[2]}


def time_steps(step, x, y, warmup, repeats):
    """Median and quartiles (ms) of `repeats` single steps after `warmup` untimed ones."""
    return time_interleaved([(step, x, y)], warmup, repeats)[0]


def time_interleaved(runs, warmup, repeats):
    """Time several (step, x, y) in alternation, one step of each per round.

    Alternating makes every framework see the same machine load, which matters on a
    shared computer; each step is timed on its own and the median is kept.
    """
    for step, x, y in runs:
        for _ in range(warmup):
            step(x, y)
    times = [[] for _ in runs]
    for _ in range(repeats):
        for i, (step, x, y) in enumerate(runs):
            start = time.perf_counter()
            step(x, y)
            times[i].append((time.perf_counter() - start) * 1e3)
    return [summarize(t) for t in times]


def train_on_batch_time(kind, args, x, y):
    """The public `Model.train_on_batch`, which adds argument and label checks."""
    try:
        model = nnlab_model(kind, args.optimizer)
        model.compile(optimizer=model.bench_optimizer, loss=model.bench_loss)
        t = time_steps(model.train_on_batch, x, y, args.warmup, args.repeats)
    except Exception as e:  # the model API may be incomplete while the course is built
        return f"not available ({type(e).__name__}: {e})"
    return f"{t['median']:.2f} ms (q1-q3 {t['q1']:.1f}-{t['q3']:.1f})"


def blas_description():
    if threadpoolctl is None:
        return "unknown (threadpoolctl missing)"
    pools = [f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
             for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    return ", ".join(pools) or "none found"


def profile_nnlab(kind, args, x, y):
    """cProfile nnlab's step; print each layer's forward/backward and the optimizer."""
    import cProfile
    import pstats

    model = nnlab_model(kind, args.optimizer)
    step = nnlab_step(model)
    for _ in range(args.warmup):
        step(x, y)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.repeats):
        step(x, y)
    prof.disable()
    stats = pstats.Stats(prof)
    print(f"\nProfile of nnlab's {kind.upper()} step ({args.repeats} steps), "
          "ms per step (cumulative, including callees):")
    rows = []
    for (filename, _, func), (_, ncalls, _, cumtime, _) in stats.stats.items():
        rel = os.path.relpath(filename, os.path.dirname(nnlab.__file__)) \
            if "nnlab" in filename else os.path.basename(filename)
        rows.append((cumtime * 1e3 / args.repeats, ncalls / args.repeats, f"{rel}:{func}"))
    for ms, calls, where in sorted(rows, reverse=True)[:30]:
        print(f"  {ms:9.2f} ms  {calls:6.1f} calls/step  {where}")
    # Layer by layer, timing each layer's forward and backward directly.
    print(f"\nPer layer, median of {args.repeats} calls (ms):")
    print(f"  {'layer':28s} {'forward':>9s} {'backward':>9s}")
    inputs, a = [], x
    for layer in model.layers:
        inputs.append(a)
        a = layer(a, training=True)
    grads, g = [None] * len(model.layers), model.bench_loss.gradient(y, a)
    for i in range(len(model.layers) - 1, -1, -1):
        grads[i] = g
        g = model.layers[i].backward(g)
    for layer, a_in, g_out in zip(model.layers, inputs, grads):
        fw, bw = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            layer(a_in, training=True)
            fw.append(time.perf_counter() - t)
            t = time.perf_counter()
            layer.backward(g_out)
            bw.append(time.perf_counter() - t)
        print(f"  {layer.name + ' (' + type(layer).__name__ + ')':28s} "
              f"{statistics.median(fw) * 1e3:9.2f} {statistics.median(bw) * 1e3:9.2f}")
    params = [p for layer in model.layers for p in layer.params.values()]
    grads = [g for layer in model.layers for g in layer.grads.values()]
    ts = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        model.bench_optimizer.apply(grads, params)
        ts.append(time.perf_counter() - t)
    print(f"  {'optimizer.apply':28s} {statistics.median(ts) * 1e3:9.2f}")


def to_torch(x):
    """The same numbers for PyTorch: images in NCHW order, sequences as they are."""
    if x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(x))


def compare(kind, optimizer="sgd", batch=128, warmup=5, repeats=30, **spec):
    """Median ms of nnlab's and PyTorch's steps (timed in alternation) and their ratio.

    `spec` (side, filters, seq_len) changes the model, for the cost-growth curves."""
    data_spec = {k: v for k, v in spec.items() if k in ("side", "seq_len")}
    x, y = make_data(batch, kind, **data_spec)
    runs = [(nnlab_step(nnlab_model(kind, optimizer, **spec)), x, y)]
    if torch is not None:
        runs.append((torch_step(*torch_model(kind, optimizer, **spec)), to_torch(x),
                     torch.from_numpy(y)))
    timings = time_interleaved(runs, warmup, repeats)
    result = {"model": kind, "optimizer": optimizer, "batch": batch, **spec,
              "nnlab": timings[0]}
    if torch is not None:
        result["torch"] = timings[1]
        result["ratio"] = timings[0]["median"] / timings[1]["median"]
    return result


def main(args):
    limit_threads(args.threads)
    print(f"nnlab {nnlab.__version__}, NumPy {np.__version__}, BLAS: {blas_description()}")
    if torch is not None:
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads (intra-op)")
    else:
        print("PyTorch is not installed: nnlab's times only. To compare, install it with\n"
              "    pip install torch==2.13.0      (pinned: keep the version)")
    print(f"batch {args.batch}, float32, optimizer {args.optimizer}, "
          f"{args.warmup} warm-up + {args.repeats} timed steps, threads {args.threads}\n")

    header = f"{'model':5s} {'nnlab ms (q1-q3)':>22s}"
    if torch is not None:
        header += f" {'PyTorch ms (q1-q3)':>22s} {'nnlab/PyTorch':>14s} {'target':>7s}"
    print(header)
    print("-" * len(header))
    results = []
    for kind in args.models:
        repeats = args.repeats * (args.mlp_factor if kind == "mlp" else 1)
        r = compare(kind, args.optimizer, args.batch, args.warmup, repeats)
        r["threads"] = args.threads
        ours = r["nnlab"]
        line = f"{kind:5s} {ours['median']:9.2f} ({ours['q1']:5.1f}-{ours['q3']:5.1f})"
        if torch is not None:
            theirs, ratio = r["torch"], r["ratio"]
            ok = "ok" if ratio <= TARGETS[kind] else "MISSED"
            line += (f" {theirs['median']:9.2f} ({theirs['q1']:5.1f}-{theirs['q3']:5.1f})"
                     f" {ratio:13.2f}x {'<=' + str(TARGETS[kind]) + 'x':>7s} {ok}")
        print(line, flush=True)
        results.append(r)
    print()
    if args.train_on_batch:
        for kind in args.models:
            x, y = make_data(args.batch, kind)
            print(f"nnlab {kind} model.train_on_batch: {train_on_batch_time(kind, args, x, y)}")
    if args.profile:
        profile_nnlab(args.profile, args, *make_data(args.batch, args.profile))
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main(parse_args())
    sys.exit(0)
