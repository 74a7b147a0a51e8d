"""Tests for nnlab.course.run_notebooks (nnlab-run-notebooks) and the nbval chain.

A tiny notebook with a figure and an `interact` widget is executed by the runner, twice
(the file must not change), and must then pass strict nbval with the CI's sanitize file.
"""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nnlab.course import run_notebooks

ROOT = Path(__file__).resolve().parents[1]
SANITIZE = ROOT / ".ci" / "nbval_sanitize.cfg"

SETUP = """%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
import ipywidgets as widgets
plt.rcParams.update({"figure.figsize": (6, 4), "figure.dpi": 80})
rng = np.random.default_rng(0)"""

SHOW = """def show(w=1.0):
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.linspace(-5, 5, 50)
    ax.plot(x, 1 / (1 + np.exp(-w * x)))
    plt.show()

show()"""


def demo_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# 00 · Demo"),
        new_code_cell(SETUP),
        new_code_cell(SHOW),
        new_code_cell("widgets.interact(show, w=widgets.FloatSlider(value=1.0, min=0.1, max=5));"),
        new_code_cell("_ = widgets.interact(show, w=widgets.FloatSlider(value=2.0, min=0.1, max=5))"),
        new_code_cell("widgets.IntSlider(3)"),
        new_code_cell("for i in range(3):\n    print(i, flush=True)\nprint(f'{rng.normal():.6f}')"),
        # what legitimately varies between runs, made equal by the sanitize file
        new_code_cell("import tempfile\nprint(tempfile.mkdtemp())\nprint(object())"),
        new_code_cell("raise ValueError('on purpose')", metadata={"tags": ["raises-exception"]}),
    ])


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    path = folder / "demo.ipynb"
    nbformat.write(demo_notebook(), path)
    assert run_notebooks.main([str(path)]) == 0
    first = path.read_text(encoding="utf-8")
    assert run_notebooks.main([str(folder)]) == 0        # a folder: every notebook in it
    return path, first


def test_outputs_are_stored_without_volatile_metadata(executed):
    path, _ = executed
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert all("execution" not in c.metadata for c in nb.cells)
    assert "widgets" not in nb.metadata
    show, interact = code[1], code[2]
    assert [o.data["text/plain"] for o in show.outputs] == ["<Figure size 480x320 with 1 Axes>"]
    assert "image/png" in show.outputs[0].data
    # as nbval sees it: the interact's figure is an output of the cell, under the widget
    views = [o.data.get("application/vnd.jupyter.widget-view+json") for o in interact.outputs]
    assert {"model_id": "nnlab-widget-1", "version_major": 2, "version_minor": 0} in views
    assert any("image/png" in o.get("data", {}) for o in interact.outputs)
    assert code[5].outputs[0].text == "0\n1\n2\n0.125730\n"      # streams merged
    assert code[-1].outputs[0].ename == "ValueError"


def test_rerunning_changes_only_what_the_sanitize_file_covers(executed):
    path, first = executed
    second = path.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(first.splitlines(), second.splitlines()) if a != b]
    assert len(first.splitlines()) == len(second.splitlines())
    assert len(changed) == 2, changed                      # the tmp path and the address
    assert "/tmp/" in changed[0][0] and "0x" in changed[1][0]


def test_executed_notebook_passes_strict_nbval(executed):
    path, _ = executed
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", str(path),
         "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE)],
        cwd=path.parent, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "8 passed" in result.stdout            # one test per code cell


def test_error_fails_and_leaves_file_unchanged_budget_fails_but_writes(tmp_path, capsys):
    bad = tmp_path / "bad.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print('a')"), new_code_cell("1 / 0")]), bad)
    before = bad.read_bytes()
    slow = tmp_path / "slow.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print('ok')")]), slow)
    assert run_notebooks.main([str(bad), str(slow), "--check-budget", "0"]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.err and "ZeroDivisionError" in captured.err
    assert "1 failed, 1 over budget, 0 ok" in captured.err
    assert "OVER BUDGET (0 s)" in captured.out
    assert bad.read_bytes() == before
    assert json.loads(slow.read_text())["cells"][0]["outputs"][0]["text"] == ["ok\n"]


def test_missing_notebook_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        run_notebooks.main([str(tmp_path / "nope.ipynb")])
    assert exit_info.value.code == 2


def _sanitize(text):
    import re
    from nbval.plugin import get_sanitize_patterns
    for regex, replace in get_sanitize_patterns(SANITIZE.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("text, expected", [
    ("<object object at 0x7f06a156ff90>", "<object object at 0xADDRESS>"),
    ("32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 0.5000",
     "32/32 ━━━━━━━━━━━━━━━━━━━━ TIME TIME/step - loss: 0.5000"),
    ("1875/1875 - 12s - 6ms/step - loss: 0.1", "1875/1875 - TIME - TIME/step - loss: 0.1"),
    ("training took 1.23 s", "training took TIME"),
    ("done in 0.5 seconds", "done in TIME"),
    ("ETA: 3s", "ETA: TIME"),
    (" 50%|█████     | 5/10 [00:01<00:02, 3.45it/s]", " 50%|█████     | 5/10 [TIME<TIME, RATE]"),
    ("/tmp/tmp9air8g8n/model.keras", "TMPPATH"),
    ("/tmp/ipykernel_4242/123.py:3: UserWarning: x", "TMPPATH:3: UserWarning: x"),
    ("/home/u/.venv/lib/python3.11/site-packages/numpy/x.py:12: RuntimeWarning",
     "SITE-PACKAGES/numpy/x.py:12: RuntimeWarning"),
    ("model d374a22e6f114a91951cb4f38a22a181", "model MODEL-ID"),
    # what must stay compared
    ("sigmoid(0) = 0.500000, 0xFF, in 3 layers, Epoch 1/5, 10 s of audio",
     "sigmoid(0) = 0.500000, 0xFF, in 3 layers, Epoch 1/5, 10 s of audio"),
    ("<Figure size 480x320 with 1 Axes>", "<Figure size 480x320 with 1 Axes>"),
])
def test_sanitize_patterns(text, expected):
    assert _sanitize(text) == expected


def test_a_reply_that_one_wait_misses_is_picked_up_by_the_next_slice():
    """The stall of nbclient issue 312: a wait for the execute reply that does not wake up
    although the reply came. nbclient's own loop treats that Empty as the cell's timeout;
    SlicedReplyPolling asks again (and counts the late reply) until the deadline."""
    import asyncio
    from datetime import datetime, timedelta, timezone
    from queue import Empty
    from types import SimpleNamespace

    from nnlab.course._kernel import SlicedReplyPolling

    reply = {"parent_header": {"msg_id": "m1"}, "content": {"status": "ok"},
             "header": {"date": datetime.now(timezone.utc) - timedelta(seconds=5)}}
    waits = []

    class Channel:
        async def get_msg(self, timeout):
            waits.append(timeout)
            if len(waits) < 3:                 # the reply is there, but these waits miss it
                raise Empty
            return reply

    async def run():
        client = SlicedReplyPolling(nbformat.v4.new_notebook(), timeout=30)
        client.kc = SimpleNamespace(shell_channel=Channel())
        output = asyncio.get_running_loop().create_future()
        output.set_result(None)
        alive = asyncio.ensure_future(asyncio.sleep(60))
        got = await client._async_poll_for_reply("m1", nbformat.v4.new_code_cell("1"), 30,
                                                 output, alive)
        return got, client.late_replies

    got, late = asyncio.run(run())
    assert got is reply and late == 1
    assert len(waits) == 3 and all(w <= 1.0 for w in waits)
