"""`model.summary()`: Keras 3's table of layers, output shapes and parameter counts.

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 256)            │       200,960 │
    ...
     Total params: 235,146 (918.54 KB)

Param # of a Dense layer is in·out + out (kernel and bias); of a Conv2D layer
kh·kw·c_in·filters + filters. Sizes count the bytes of the parameters (4 per float32)
in units of 1024. Once the optimizer has made its slots (after the first training
step), a line "Optimizer params" counts them too, and "Total params" includes them,
as in Keras 3.
"""
import textwrap

import numpy as np

_SEQUENTIAL_POSITIONS = (0.458, 0.792, 1.0)
_GRAPH_POSITIONS = (0.3, 0.56, 0.74, 1.0)


def readable_memory_size(n_bytes):
    """1234 -> '1.21 KB' (powers of 1024, two decimals), as Keras prints sizes."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} PB"


def _count_and_bytes(arrays):
    arrays = list(arrays)
    return (int(sum(a.size for a in arrays)),
            float(sum(a.size * np.asarray(a).dtype.itemsize for a in arrays)))


def _optimizer_arrays(model):
    """The optimizer's variables once built (slots, iterations and learning rate), else None."""
    opt = model.optimizer
    if opt is None or not getattr(opt, "built", False):
        return None
    state = [np.asarray(v) for v in opt.get_state().values()]
    return state + [np.zeros((), dtype="float32")]   # Keras also counts the learning-rate variable


def _is_chain(model):
    return all(len(parents) <= 1 and (i == 0 or parents == (i - 1,))
               for i, (_, parents) in enumerate(model._nodes))


def _cells(row, widths, aligns):
    wrapped = [textwrap.wrap(text, width) or [""] for text, width in zip(row, widths)]
    height = max(len(lines) for lines in wrapped)
    out = []
    for k in range(height):
        parts = []
        for lines, width, align in zip(wrapped, widths, aligns):
            text = lines[k] if k < len(lines) else ""
            parts.append(" " + (text.rjust(width) if align == "right" else text.ljust(width)) + " ")
        out.append(parts)
    return out


def summary_text(model, line_length=None, positions=None):
    """The summary as a string (what `model.summary()` prints)."""
    model._require_built("its summary")
    chain = _is_chain(model)
    header = ["Layer (type)", "Output Shape", "Param #"]
    aligns = ["left", "left", "right"]
    if not chain:
        header.append("Connected to")
        aligns.append("left")
    positions = positions or (_SEQUENTIAL_POSITIONS if chain else _GRAPH_POSITIONS)
    if len(positions) != len(header):
        raise ValueError(f"Expected `positions` to have {len(header)} entries. Received: positions={positions!r}")
    line_length = line_length or 76
    inner = line_length - (len(header) + 1)
    if positions[-1] <= 1:
        positions = [round(p * inner) for p in positions]
    widths = [b - a - 2 for a, b in zip([0] + list(positions[:-1]), positions)]
    if min(widths) < 4:
        raise ValueError(f"line_length={line_length} is too small to print the summary.")

    rows = []
    names = [layer.name for layer in model.layers]
    for layer, parents in model._nodes:
        shape = "(" + ", ".join(str(d) for d in (None,) + tuple(layer.output_shape)) + ")"
        row = [f"{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"]
        if not chain:
            row.append(", ".join(f"{names[p]}[0][0]" for p in parents) or "-")
        rows.append(row)

    def rule(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    lines = [f'Model: "{model.name}"', rule("┏", "┳", "┓", "━")]
    lines += ["┃" + "┃".join(parts) + "┃" for parts in _cells(header, widths, aligns)]
    lines.append(rule("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "┼", "┤", "─"))
        lines += ["│" + "│".join(parts) + "│" for parts in _cells(row, widths, aligns)]
    lines.append(rule("└", "┴", "┘", "─"))

    trainable, trainable_bytes = _count_and_bytes(model.trainable_weights)
    frozen, frozen_bytes = _count_and_bytes(model.non_trainable_weights)
    opt_arrays = _optimizer_arrays(model)
    opt_count, opt_bytes = _count_and_bytes(opt_arrays or [])
    total, total_bytes = trainable + frozen + opt_count, trainable_bytes + frozen_bytes + opt_bytes
    lines.append(f" Total params: {total:,} ({readable_memory_size(total_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_memory_size(trainable_bytes)})")
    lines.append(f" Non-trainable params: {frozen:,} ({readable_memory_size(frozen_bytes)})")
    if opt_arrays is not None:
        lines.append(f" Optimizer params: {opt_count:,} ({readable_memory_size(opt_bytes)})")
    return "\n".join(lines) + "\n"


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Print `summary_text(model)`, or pass it to `print_fn` (one call, as Keras 3)."""
    text = summary_text(model, line_length=line_length, positions=positions)
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)
