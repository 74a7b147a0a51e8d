"""End-to-end tests in a real browser: the course as a learner sees it.

A JupyterLab server (127.0.0.1, a random free port, a token, news pop-ups off) serves
copies of lessons 01, 08 and 13 and of exercises/01_neuron.ipynb from a temporary
folder; headless Chromium (Debian's binary, driven by Playwright) opens each one,
runs every cell and checks what is on screen: no cell shows an error, every figure is
an <img> of real size, every widget renders with its sliders, moving a slider redraws
the figure, and the browser console stays clean. A simulated student fills in the
first exercise, sees the ✓ line, saves, and `nnlab-grade` scores the saved notebook.
The static site (`nnlab-site`) is built and every page, link and image is checked.

Screenshots of every checked page (lesson tops, each widget before and after the slider
moved, the exercise's ✓ line, the site's index and lesson 01) are test artifacts in
pytest's temporary folder, `browser-artifacts0/` under its basetemp (with -n 2:
/tmp/pytest-of-$USER/pytest-N/popen-gwK/browser-artifacts0/; pytest keeps the last three
runs), or in $NNLAB_BROWSER_ARTIFACTS when set.

Select them with `pytest -m browser`. They need Debian's `chromium` and Playwright
(`pip install -e ".[dev]"`); without them they are skipped, except when CI=true,
where a missing browser is a failure.
"""
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ["01_neuron", "08_optimizers", "13_cnn"]
EXERCISE = "01_neuron"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
RUN_TIMEOUT = 300        # s for running a whole notebook
STEP_TIMEOUT = 60        # s for any single wait in the page


def _missing(reason):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs it)")
    pytest.skip(reason)


def chromium_executable():
    """Debian's Chromium binary (not Playwright's download, unavailable offline)."""
    chosen = os.environ.get("NNLAB_CHROMIUM")     # a path, to use another build
    for candidate in ([chosen] if chosen else ["/usr/lib/chromium/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")]):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed: pip install -e \".[dev]\"")
    executable = chromium_executable()
    if executable is None:
        _missing("Chromium is not installed: apt-get install chromium")
    # launch() starts Chromium with a fresh temporary --user-data-dir of its own
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                              timeout=STEP_TIMEOUT * 1000)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    env = os.environ.get("NNLAB_BROWSER_ARTIFACTS")
    if env:
        path = Path(env)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("browser-artifacts")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc):
    """Stop the server by its PID (and its kernels, in its process group)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)     # leftover kernels; the group id is the PID
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a token, serving copies of the notebooks."""
    base = tmp_path_factory.mktemp("lab")
    served = base / "course"
    (served / "lessons").mkdir(parents=True)
    (served / "student").mkdir()
    for name in LESSONS:
        shutil.copy(ROOT / "lessons" / f"{name}.ipynb", served / "lessons")
    shutil.copy(ROOT / "exercises" / f"{EXERCISE}.ipynb", served / "student")
    settings = base / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    # the "notified about official Jupyter news?" pop-up would cover part of the page
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    token = secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "JUPYTER_CONFIG_DIR": str(base / "config"),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    log = open(base / "jupyterlab.log", "w")
    proc = None
    try:
        for _attempt in range(3):
            port = _free_port()
            cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
                   f"--port={port}", "--port-retries=0", f"--IdentityProvider.token={token}",
                   f"--ServerApp.root_dir={served}", "--LabApp.expose_app_in_browser=True",
                   "--ServerApp.terminals_enabled=False"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.append("--allow-root")
            proc = subprocess.Popen(cmd, cwd=served, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STEP_TIMEOUT
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"{url}/api/status?token={token}",
                                                timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
            else:
                _stop(proc)
                continue
            break
        else:
            pytest.fail("JupyterLab did not start:\n"
                        + (base / "jupyterlab.log").read_text()[-3000:])
        yield {"url": url, "token": token, "root": served, "base": base}
    finally:
        if proc is not None:
            _stop(proc)
        log.close()


@pytest.fixture
def page(browser, lab):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(STEP_TIMEOUT * 1000)
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(
        f"console.error: {m.text} ({m.location.get('url', '')})"))
    pg.on("pageerror", lambda e: pg.console_errors.append(f"page error: {e}"))
    try:
        yield pg
    finally:
        context.close()


# --------------------------------------------------------------------------- helpers

NOTEBOOK_STATE = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
  const cells = nb.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  cells.forEach((c, i) => {
    for (let k = 0; k < c.model.outputs.length; k++) {
      const o = c.model.outputs.get(k).toJSON();
      if (o.output_type === 'error') errors.push(`code cell ${i + 1}: ${o.ename}: ${o.evalue}`);
    }
  });
  return {kernel: kernel ? kernel.status : 'none',
          dirty: nb.context.model.dirty,
          busy: cells.filter(c => c.promptNode && c.promptNode.textContent.includes('*')).length,
          unexecuted: cells.filter(c => c.model.executionCount === null).length,
          errors: errors};
}"""


def open_notebook(page, lab, path):
    page.goto(f"{lab['url']}/lab/tree/{path}?reset&token={lab['token']}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.content"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           ".kernel && window.jupyterapp.shell.currentWidget.sessionContext"
                           ".session.kernel.status === 'idle'")
    page.wait_for_selector(".jp-Notebook .jp-Cell")


def wait_idle(page, timeout=RUN_TIMEOUT, all_executed=True):
    """Wait until the kernel is idle and no cell is pending, twice in a row."""
    deadline = time.monotonic() + timeout
    calm = 0
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE)
        done = state["kernel"] == "idle" and state["busy"] == 0 and (
            state["errors"] or not all_executed or state["unexecuted"] == 0)
        calm = calm + 1 if done else 0
        if calm >= 3:
            return state
        page.wait_for_timeout(500)
    pytest.fail(f"the notebook did not finish within {timeout} s: {state}")


def run_all(page):
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_timeout(500)
    return wait_idle(page)


def image_hash(locator):
    return hashlib.sha256(locator.get_attribute("src").encode()).hexdigest()


# --------------------------------------------------------------------------- lessons

@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_in_jupyterlab(page, lab, artifacts, lesson, record_property):
    open_notebook(page, lab, f"lessons/{lesson}.ipynb")
    stored = json.loads((ROOT / "lessons" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    n_figures = sum("image/png" in o.get("data", {}) for c in stored["cells"]
                    for o in c.get("outputs", []))
    n_widgets = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                    for c in stored["cells"] for o in c.get("outputs", []))

    state = run_all(page)
    assert state["errors"] == [], f"{lesson}: cells raised errors: {state['errors']}"
    assert state["unexecuted"] == 0
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, f"{lesson}: stderr shown: {stderr.all_inner_texts()[:3]}"

    # every figure is an <img> of real size (top-level outputs and the widgets' figures)
    imgs = page.locator(".jp-Notebook .jp-OutputArea-output img")
    sizes = page.evaluate("""() => [...document.querySelectorAll(
        '.jp-Notebook .jp-OutputArea-output img')].map(i => [i.complete, i.naturalWidth,
        i.naturalHeight, i.getAttribute('src').slice(0, 22)])""")
    assert len(sizes) >= n_figures > 0, f"{lesson}: {len(sizes)} <img> for {n_figures} figures"
    small = [s for s in sizes if not (s[0] and s[1] >= 150 and s[2] >= 100)]
    assert small == [], f"{lesson}: figures missing or too small: {small}"
    assert all(s[3].startswith("data:image/png") for s in sizes)
    text_figures = page.locator(".jp-OutputArea-output:has-text('<Figure size')")
    assert text_figures.count() == 0, f"{lesson}: a figure shows only as text"

    # every widget renders; its sliders are visible
    widget_outputs = page.locator(".jp-OutputArea-output .widget-interact")
    expect_count(widget_outputs, n_widgets)
    body = page.locator(".jp-Notebook").inner_text()
    for bad in ("Error displaying widget", "Loading widget...", "model not found"):
        assert bad not in body, f"{lesson}: widget shows {bad!r}"
    sliders = page.locator(".widget-interact .widget-slider")
    assert sliders.count() >= 1, f"{lesson}: no slider rendered"
    for i in range(sliders.count()):
        sliders.nth(i).scroll_into_view_if_needed()
        expect_visible(sliders.nth(i).locator(".noUi-handle"))
    page.evaluate("() => window.jupyterapp.shell.currentWidget.content.scrollToItem(0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"lesson-{lesson}-top.png"))

    # moving a slider redraws the figure
    widget = widget_outputs.first
    widget.scroll_into_view_if_needed()
    slider = widget.locator(".widget-slider").first
    expect_visible(slider)
    figure = widget.locator("img").first
    before = image_hash(figure)
    widget.screenshot(path=str(artifacts / f"lesson-{lesson}-widget-before.png"))
    handle = slider.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        """([el, before]) => { const img = el.querySelector('img'); return img && img.complete
             && img.naturalWidth > 0 && img.getAttribute('src') !== before; }""",
        arg=[widget.element_handle(), figure.get_attribute("src")], timeout=STEP_TIMEOUT * 1000)
    wait_idle(page, timeout=STEP_TIMEOUT)
    after = image_hash(widget.locator("img").first)
    assert after != before, f"{lesson}: moving the slider did not change the figure"
    widget.screenshot(path=str(artifacts / f"lesson-{lesson}-widget-after.png"))
    page.screenshot(path=str(artifacts / f"lesson-{lesson}-widget-page.png"))
    record_property("screenshots", str(artifacts))

    errors = [e for e in page.console_errors]
    assert errors == [], f"{lesson}: browser console errors: {errors}"


def expect_count(locator, n):
    from playwright.sync_api import expect
    expect(locator).to_have_count(n)


def expect_visible(locator):
    from playwright.sync_api import expect
    expect(locator).to_be_visible()


# --------------------------------------------------------------------------- exercise

ANSWER = '''def weighted_sum(x, w, b):
    """Return w1*x1 + ... + wn*xn + b for one sample x (a 1-D array)."""
    return np.sum(w * x) + b
'''


def test_student_fills_in_exercise_and_grader_scores_it(page, lab, artifacts, tmp_path):
    path = lab["root"] / "student" / f"{EXERCISE}.ipynb"
    open_notebook(page, lab, f"student/{EXERCISE}.ipynb")
    cells = page.locator(".jp-Notebook .jp-Cell")
    stored = json.loads(path.read_text(encoding="utf-8"))["cells"]
    solution = next(i for i, c in enumerate(stored)
                    if c["metadata"].get("nbgrader", {}).get("solution"))
    test_cell = solution + 1
    assert "check_weighted_sum" in "".join(stored[test_cell]["source"])

    # the student types the answer into the first solution cell ...
    editor = cells.nth(solution).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(ANSWER)
    page.keyboard.press("Escape")
    # ... then runs the setup cell and, with Shift+Enter, everything down to the test cell
    cells.nth(1).locator(".jp-InputPrompt").click()
    for _ in range(1, test_cell + 1):
        page.keyboard.press("Shift+Enter")
        page.wait_for_timeout(200)
    wait_idle(page, timeout=STEP_TIMEOUT, all_executed=False)
    output = cells.nth(test_cell).locator(".jp-OutputArea-output")
    expect_visible(output.first)
    text = output.first.inner_text()
    assert text.startswith("✓"), f"the test cell shows {text!r}, not a ✓ line"
    state = page.evaluate(NOTEBOOK_STATE)
    assert state["errors"] == [], state["errors"]
    cells.nth(test_cell).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / f"exercise-{EXERCISE}.png"))

    # ... and saves (Ctrl+S), as a student hands it in
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert "np.sum(w * x) + b" in "".join(saved["cells"][solution]["source"])
    assert page.console_errors == [], page.console_errors

    # the grader scores the saved notebook: 2 points for exercise 1, 0 for the rest
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(path, submissions / "student.ipynb")
    out = tmp_path / "grading-output"
    run = subprocess.run([sys.executable, "-m", "nnlab.course.grade", str(submissions),
                          "--solution", str(ROOT / "solutions" / f"{EXERCISE}.ipynb"),
                          "--out", str(out), "--cell-timeout", "30", "--timeout", "120"],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    (student,) = report["students"]
    points = {e["grade_id"]: e["points"] for e in student["exercises"]}
    assert points["test_weighted_sum"] == 2, student
    assert student["points"] == 2, student
    assert all(p == 0 for gid, p in points.items() if gid != "test_weighted_sum"), student


# --------------------------------------------------------------------------- static site

def test_static_site_reads_offline(browser, artifacts, tmp_path):
    out = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "nnlab.course.site", str(out), "--root", str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    lessons = sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    pages = sorted(out.rglob("*.html"))
    assert {p.stem for p in (out / "lessons").glob("*.html")} >= {*lessons, "SOURCES"}

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = []

    def offline(route):      # a page must not need the network
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    pg = context.new_page()
    pg.set_default_timeout(STEP_TIMEOUT * 1000)
    errors = []
    pg.on("console", lambda m: m.type == "error" and errors.append(f"{pg.url}: {m.text}"))
    pg.on("pageerror", lambda e: errors.append(f"{pg.url}: {e}"))
    try:
        # the index follows the lesson map: every lesson, in order, with its title
        pg.goto((out / "index.html").as_uri())
        titles = pg.locator("table a[href^='lessons/']")
        linked = [Path(h).stem for h in titles.evaluate_all("els => els.map(e => e.getAttribute('href'))")]
        assert linked == lessons
        pg.screenshot(path=str(artifacts / "site-index.png"), full_page=True)

        broken = []
        for page_path in pages:
            response = pg.goto(page_path.as_uri(), wait_until="load")
            assert response is None or response.ok, page_path
            assert pg.title(), f"{page_path}: no title"
            images = pg.evaluate("""() => [...document.images].map(i =>
                [i.getAttribute('src').slice(0, 40), i.complete && i.naturalWidth > 0])""")
            broken += [f"{page_path.relative_to(out)}: image {src}" for src, ok in images if not ok]
            for href in pg.evaluate("() => [...document.links].map(a => a.href)"):
                if href.startswith("file:"):
                    target = Path(urllib.request.url2pathname(href.split("#")[0][len("file://"):]))
                    if not target.is_file():
                        broken.append(f"{page_path.relative_to(out)}: link {href}")
            if page_path.parent.name == "lessons" and page_path.stem in lessons:
                stored = json.loads((ROOT / "lessons" / f"{page_path.stem}.ipynb")
                                    .read_text(encoding="utf-8"))
                n_figures = sum("image/png" in o.get("data", {}) for c in stored["cells"]
                                for o in c.get("outputs", []))
                assert len(images) >= n_figures, f"{page_path}: {len(images)} of {n_figures} figures"
                if page_path.stem == "01_neuron":
                    assert pg.locator(".nnlab-widget-note").count() >= 1
                    pg.screenshot(path=str(artifacts / "site-01_neuron.png"))
        assert broken == [], broken[:20]
        assert outside == [], f"pages tried to reach the network: {sorted(set(outside))[:10]}"
        assert errors == [], errors[:10]
    finally:
        context.close()
