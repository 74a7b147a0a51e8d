"""Progress bar: live '\\r' redraws only on a dynamic display, one line per epoch elsewhere."""
import io

import numpy as np
import pytest

import nnlab
from nnlab.models import progbar
from nnlab.models.progbar import Progbar, dynamic_display


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


def test_dynamic_display_follows_isatty_and_ipykernel(monkeypatch):
    monkeypatch.delitem(__import__("sys").modules, "ipykernel", raising=False)
    assert dynamic_display(_Stream(tty=True)) is True
    assert dynamic_display(_Stream(tty=False)) is False
    assert dynamic_display(object()) is False                 # no isatty at all
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    assert dynamic_display(_Stream(tty=False)) is True        # a notebook kernel


def _run_bar(steps):
    bar = Progbar(steps, verbose=1, interval=0.0)
    for step in range(1, steps + 1):
        bar.update(step, {"loss": 0.5 / step})


def test_log_file_gets_one_line_and_no_carriage_returns(monkeypatch, capsys):
    monkeypatch.setattr(progbar, "dynamic_display", lambda stream=None: False)
    _run_bar(12)
    out = capsys.readouterr().out
    assert "\r" not in out
    assert out.count("\n") == 1 and out.endswith("\n")
    assert out.startswith("12/12 " + "━" * 20 + " ")
    assert out.rstrip("\n").endswith(" - loss: 0.0417")      # 0.5 / 12, the last step's value


def test_terminal_gets_live_redraws(monkeypatch, capsys):
    monkeypatch.setattr(progbar, "dynamic_display", lambda stream=None: True)
    _run_bar(12)
    out = capsys.readouterr().out
    assert out.count("\r") == 12                               # every step redrawn (interval 0)
    assert out.count("\n") == 1
    assert out.split("\r")[1].startswith(" 1/12 " + "━" * 1 + "─" * 19)


@pytest.mark.parametrize("verbose, lines_per_epoch", [(1, 1), (2, 1)])
def test_fit_writes_one_line_per_epoch_to_a_log(monkeypatch, capsys, verbose, lines_per_epoch):
    monkeypatch.setattr(progbar, "dynamic_display", lambda stream=None: False)
    nnlab.utils.set_random_seed(0)
    model = nnlab.models.Sequential([nnlab.layers.Input(shape=(3,)), nnlab.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((40, 3), np.float32), np.zeros((40, 1), np.float32)
    model.fit(x, y, batch_size=4, epochs=3, verbose=verbose)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("Epoch ")] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert len([line for line in lines if line.startswith("10/10")]) == 3 * lines_per_epoch
    assert len(lines) == 3 + 3 * lines_per_epoch
