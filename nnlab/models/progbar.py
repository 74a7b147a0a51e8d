"""The progress line `fit`, `evaluate` and `predict` print, in Keras 3's format.

    verbose=1:  12/12 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.9000 - loss: 0.3000
                (in a terminal or a notebook: one line rewritten in place with '\\r' after
                every batch; anywhere else, e.g. output redirected to a log file: only the
                epoch's final line, so the log holds one clean line per epoch)
    verbose=2:  12/12 - 0s - 3ms/step - accuracy: 0.9000 - loss: 0.3000
                (one line at the end of the epoch)

Unlike Keras, no ANSI colour codes are printed, so the text is the same in a terminal,
a notebook and a log file; the part still to do is drawn thin ("─") instead of grey.

Like Keras, the live bar is drawn only on a "dynamic display": a terminal
(`sys.stdout.isatty()`) or a Jupyter kernel (`ipykernel` imported). Without one, Keras
starts a new line instead of returning with '\\r'; nnlab writes just the final line of
each epoch there, which keeps logs short.
"""
import sys
import time


def format_value(value):
    """Keras' number format: 4 decimals, scientific notation when |value| <= 1e-3."""
    value = float(value)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def format_logs(logs):
    return "".join(f" - {key}: {format_value(value)}" for key, value in logs.items())


def _format_time(seconds_per_step, unit="step"):
    if seconds_per_step >= 1 or seconds_per_step == 0:
        return f"{seconds_per_step:.0f}s/{unit}"
    if seconds_per_step >= 1e-3:
        return f"{seconds_per_step * 1e3:.0f}ms/{unit}"
    return f"{seconds_per_step * 1e6:.0f}us/{unit}"


def dynamic_display(stream=None):
    """True when `stream` (default: sys.stdout) can redraw a line in place: a terminal or a notebook."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        if callable(isatty) and isatty():
            return True
    except ValueError:                      # a closed stream
        return False
    return "ipykernel" in sys.modules


class Progbar:
    """A progress bar over `target` steps.

    Args:
        target: number of steps (batches).
        verbose: 1 for the live bar, 2 for one line at the end, 0 for nothing.
        width: number of bar characters. Defaults to 20.
        interval: minimum seconds between two redraws of the live bar (the last
            step is always drawn). Defaults to 0.05.
    """

    def __init__(self, target, verbose=1, width=20, interval=0.05):
        self.target = int(target)
        self.verbose = verbose
        self.width = width
        self.interval = interval
        self._start = time.time()
        self._last_update = 0.0
        self._prev_width = 0

    def update(self, current, logs=None, finalize=None):
        """Show step `current` (1-based) with the metric values `logs` (a dict)."""
        logs = logs or {}
        if finalize is None:
            finalize = current >= self.target
        now = time.time()
        per_step = (now - self._start) / current if current else 0.0
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            dynamic = dynamic_display()
            if not dynamic and not finalize:
                return                      # a log file: only the final line, no carriage-return redraws
            digits = len(str(self.target))
            done = int(self.width * current / self.target) if self.target else self.width
            # while running: the estimated time left; at the end: the time taken
            seconds = now - self._start if finalize else per_step * (self.target - current)
            line = (f"{current:{digits}d}/{self.target} " + "━" * done + "─" * (self.width - done)
                    + f" {seconds:.0f}s {_format_time(per_step)}" + format_logs(logs))
            padding = " " * max(0, self._prev_width - len(line))
            if not dynamic:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
                return
            sys.stdout.write("\r" + line + padding + ("\n" if finalize else ""))
            sys.stdout.flush()
            self._prev_width = len(line)
            self._last_update = now
        elif self.verbose == 2 and finalize:
            digits = len(str(self.target))
            sys.stdout.write(f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s - "
                             f"{_format_time(per_step)}{format_logs(logs)}\n")
            sys.stdout.flush()
