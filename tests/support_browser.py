"""Drive the course in a real browser: JupyterLab on loopback, headless Chromium, Run All through the menu.

nbval proves that a notebook's code runs; it cannot see what a learner sees. This module opens a notebook in
JupyterLab, clicks *Run > Run All Cells*, waits for the kernel, and reads the page: which code cells got an
execution number, which outputs rendered, whether an ipywidget is on screen, whether any output is an error.
`tests/test_browser.py` turns that reading (`NotebookRun.problems()`) into assertions.

Everything stays on this machine and offline:
- the server listens on 127.0.0.1 with a random token; its kernels inherit the network guard
  (`no_network.child_environment()`), and JupyterLab's own update check, news feed and PyPI extension
  manager are switched off;
- Chromium is Debian's (`apt-get install chromium`), driven by Playwright's Python client through
  `executable_path` (never a Playwright browser download), with background networking off, a fresh
  profile, and a host-resolver rule that leaves only loopback reachable; every request the page makes
  to anything but the server is recorded and reported as a problem.
- The server gets its own config, data, runtime, settings, workspace and checkpoint folders, so neither
  a learner's ~/.jupyter nor a saved workspace changes what is tested, and autosave is off so a test run
  never writes outputs (or .ipynb_checkpoints) into the course's folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labkit.testing.no_network import child_environment

CHROMIUM_PATHS = ("/usr/bin/chromium",)
INSTALL_HINT = "apt-get install chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    # Only loopback resolves: a stray fetch to the internet fails in the browser instead of leaving.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 1100}
# JupyterLab settings for the test server (written as user settings into a throw-away folder).
LAB_SETTINGS = {
    # Never write the learner-facing notebooks: outputs stay in the browser only.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}
NO_WIDGET = "no widget rendered"


class BrowserTestError(RuntimeError):
    """The browser test harness could not do its job (server did not start, notebook did not run)."""


def find_chromium() -> str | None:
    """Path of Debian's Chromium ($LABKIT_CHROMIUM overrides it), or None when it is not installed."""
    override = os.environ.get("LABKIT_CHROMIUM")
    for path in [override] if override else CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the JupyterLab server ------------------------------------------------------------------------
@dataclass
class LabServer:
    """A running JupyterLab: its base URL, token, served root and the folder holding its state and log."""

    url: str
    token: str
    root: Path
    workdir: Path
    process: subprocess.Popen

    @property
    def log_path(self) -> Path:
        return self.workdir / "jupyter.log"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def notebook_url(self, path: str, workspace: str) -> str:
        """URL that opens `path` (relative to the root) in a fresh, named workspace."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def api(self, method: str, endpoint: str, timeout: float = 10) -> object:
        request = urllib.request.Request(f"{self.url}/api/{endpoint}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session (and so its kernel) the browser started."""
        for session in self.api("GET", "sessions") or []:
            self.api("DELETE", f"sessions/{session['id']}")


def _jupyter_command() -> list[str]:
    """The course venv's JupyterLab: the `jupyter` next to the running Python, else `python -m jupyterlab`."""
    jupyter = Path(sys.executable).with_name("jupyter")
    return [str(jupyter), "lab"] if jupyter.exists() else [sys.executable, "-m", "jupyterlab"]


def _write_lab_settings(settings_dir: Path) -> None:
    for name, values in LAB_SETTINGS.items():
        target = settings_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


def _kernel_pids(runtime_dir: Path) -> list[int]:
    """Pids of kernels this server started (their command line names a connection file in runtime_dir)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(runtime_dir).encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def _stop(server: LabServer) -> None:
    """Shut down politely (REST), then by signal; kernels run in their own sessions, so end them by pid."""
    runtime_dir = server.workdir / "runtime"
    if server.process.poll() is None:
        try:
            server.api("POST", "shutdown", timeout=5)
        except (OSError, urllib.error.URLError):
            pass
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(server.process.pid, sig)
                except ProcessLookupError:  # the group is gone already: just reap the server
                    server.process.wait(timeout=wait)
                    break
                try:
                    server.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
    for pid in _kernel_pids(runtime_dir):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextmanager
def jupyter_lab(root: Path, workdir: Path, start_timeout: float = 60) -> Iterator[LabServer]:
    """Run JupyterLab serving `root` on 127.0.0.1 for the duration of the block; always shut it down."""
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("checkpoints", "config", "data", "runtime", "settings", "workspaces"):
        (workdir / sub).mkdir(exist_ok=True)
    _write_lab_settings(workdir / "settings")
    port, token = free_port(), secrets.token_hex(16)
    env = child_environment()
    env.update(JUPYTER_CONFIG_DIR=str(workdir / "config"), JUPYTER_DATA_DIR=str(workdir / "data"),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), PYTHONUNBUFFERED="1")
    command = _jupyter_command() + [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        f"--LabApp.user_settings_dir={workdir / 'settings'}",
        f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        # Opening a notebook writes a checkpoint: keep those out of the course folders.
        f"--FileCheckpoints.checkpoint_dir={workdir / 'checkpoints'}",
    ]
    if os.geteuid() == 0:  # containers and CI run as root; the server refuses root without this
        command.append("--allow-root")
    log = (workdir / "jupyter.log").open("wb")
    process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}", token=token, root=root, workdir=workdir,
                       process=process)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise BrowserTestError(f"JupyterLab exited with code {process.returncode} before serving; "
                                       f"its log ({server.log_path}):\n{server.log_tail()}")
            try:
                server.api("GET", "status", timeout=2)
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise BrowserTestError(f"JupyterLab did not answer on {server.url} within "
                                           f"{start_timeout:.0f} s; log:\n{server.log_tail()}") from None
                time.sleep(0.3)
        yield server
    finally:
        _stop(server)
        log.close()


# --- the browser ----------------------------------------------------------------------------------
@contextmanager
def chromium(executable: str, profile_dir: Path) -> Iterator[object]:
    """A Playwright BrowserContext in headless Debian Chromium with a fresh profile; closed on exit."""
    from playwright.sync_api import sync_playwright  # dev dependency: only the browser test needs it

    if profile_dir.exists():
        shutil.rmtree(profile_dir)
    profile_dir.mkdir(parents=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT, timeout=60_000)
        try:
            context.set_default_timeout(30_000)
            yield context
        finally:
            context.close()


# --- one notebook, Run All, read the page ----------------------------------------------------------
# Reads the visible notebook panel: kernel status from the toolbar's execution indicator, each code
# cell's prompt ("[3]:", "[*]:", "[ ]:"), and each output's MIME type and text.
_READ_NOTEBOOK_JS = """
() => {
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')]
      .find(p => !p.classList.contains('lm-mod-hidden'));
  if (!panel) return null;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const codeCells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')];
  return {
    status: indicator ? indicator.getAttribute('data-status') : null,
    cells: panel.querySelectorAll('.jp-Notebook .jp-Cell').length,
    prompts: codeCells.map(c => (c.querySelector('.jp-InputPrompt')?.textContent || '').trim()),
    outputs: codeCells.map(c => [...c.querySelectorAll('.jp-OutputArea-output')].map(o => {
      const typed = o.matches('[data-mime-type]') ? o : o.querySelector('[data-mime-type]');
      return {mime: typed ? typed.getAttribute('data-mime-type') : '',
              text: (o.textContent || '').slice(0, 3000)};
    })),
  };
}
"""
# JupyterLab renders a kernel error as stderr text (its bundle also carries the error MIME type, which no
# renderer prefers): recognise it by a traceback header or a final "SomeError: message" line. A
# SyntaxError has no "Traceback" line, plain warnings ("UserWarning: ...") match neither.
_ERROR_MIME = "application/vnd.jupyter.error"
_STDERR_MIME = "application/vnd.jupyter.stderr"
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b", re.MULTILINE)
# A widget view displayed in an output area (its children are parts of it, not more widgets).
_WIDGET_SELECTOR = ".jp-OutputArea-output > .jupyter-widgets"
# tqdm's notebook progress bar is an ipywidget too (model loading shows one): a progress bar with labels
# and no control is not a course widget, so it is counted apart.
_IS_PROGRESS_BAR_JS = """
el => {
  const bar = '.widget-hprogress, .widget-vprogress';
  const hasBar = el.matches(bar) || el.querySelector(bar) !== null;
  return hasBar && el.querySelector('input, select, textarea, button, .widget-slider') === null;
}
"""


@dataclass
class NotebookRun:
    """What the page showed after Run All Cells on one notebook."""

    path: str
    code_cells: int                       # non-empty code cells in the file
    executed: int                         # of those, how many show an execution number
    unexecuted: list[int]                 # code-cell positions (0-based, among code cells) without one
    outputs: int                          # rendered output areas
    widgets: int                          # visible ipywidget views, progress bars not counted
    progress_bars: int                    # tqdm-style progress bars (ipywidgets without a control)
    errors: list[str] = field(default_factory=list)   # error / traceback outputs (first lines)
    outside_requests: list[str] = field(default_factory=list)  # page requests not to the server
    page_errors: list[str] = field(default_factory=list)       # uncaught JavaScript exceptions
    file_changed: bool = False            # the notebook on disk changed during the run
    kernel_status: str = ""
    seconds: float = 0.0                  # the whole visit: open, Run All, read, screenshot
    open_seconds: float = 0.0             # page load until the kernel is idle
    run_seconds: float = 0.0              # Run All Cells until every cell finished
    screenshot: Path | None = None

    def problems(self, expect_widget: bool = True) -> list[str]:
        """Human-readable reasons this run is not what a learner should see; empty when all is well."""
        found = []
        if self.unexecuted:
            found.append(f"{len(self.unexecuted)} of {self.code_cells} code cells have no execution number "
                         f"(code cells {self.unexecuted})")
        if self.outputs == 0:
            found.append("no output rendered")
        if expect_widget and self.widgets == 0:
            found.append(NO_WIDGET)
        found += [f"error output: {error}" for error in self.errors]
        found += [f"request left the server: {url}" for url in self.outside_requests]
        found += [f"JavaScript error: {error}" for error in self.page_errors]
        if self.file_changed:
            found.append(f"{self.path} was modified on disk by the browser run")
        return found


def _code_cell_sources(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _error_texts(outputs: list[list[dict]]) -> list[str]:
    errors = []
    for index, cell_outputs in enumerate(outputs):
        for output in cell_outputs:
            text = output["text"]
            if (output["mime"] == _ERROR_MIME or (output["mime"] == _STDERR_MIME and _TRACEBACK.search(text))
                    or "Error displaying widget" in text):
                errors.append(f"code cell {index}: " + " ".join(text.split())[:300])
    return errors


def _wait(page, predicate, timeout: float, what: str, interval: float = 0.5):
    """Poll the notebook state until `predicate(state)` holds twice in a row; return the state."""
    deadline, last, hits = time.monotonic() + timeout, None, 0
    while time.monotonic() < deadline:
        last = page.evaluate(_READ_NOTEBOOK_JS)
        hits = hits + 1 if last and predicate(last) else 0
        if hits >= 2:
            return last
        page.wait_for_timeout(interval * 1000)
    summary = {k: last[k] for k in ("status", "cells", "prompts")} if last else "no notebook panel"
    raise BrowserTestError(f"timed out after {timeout:.0f} s waiting for {what}; page state: {summary}")


def _run_all_cells(page) -> None:
    """Run > Run All Cells, clicked in the menu bar as a learner would."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
    page.locator(".lm-Menu-item:visible").filter(has=label).click()


def _is_local(url: str, server: LabServer) -> bool:
    """Whether a page request stays on the test server (or inside the page: data:, blob:, about:)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.netloc == urllib.parse.urlsplit(server.url).netloc


def run_notebook(context, server: LabServer, path: str, screenshot: Path | None = None,
                 timeout: float = 180, interact: Callable[[object], None] | None = None) -> NotebookRun:
    """Open `path` (relative to the server root), Run All Cells, wait for the kernel, read the page.

    `interact(page)`, if given, runs after the cells finished and before the screenshot: a test can click
    a widget there and assert that the page responds (its exceptions propagate).
    """
    notebook = server.root / path
    sources = _code_cell_sources(notebook)
    wanted = [i for i, source in enumerate(sources) if source.strip()]  # JupyterLab leaves empty cells bare
    digest, started = file_digest(notebook), time.monotonic()
    page = context.new_page()
    page_errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)[:300]))
    page.on("request", lambda request: None if _is_local(request.url, server) else outside.append(request.url))
    page.on("websocket", lambda socket: None if _is_local(socket.url, server) else outside.append(socket.url))
    workspace = "t" + secrets.token_hex(4)
    try:
        page.goto(server.notebook_url(path, workspace), wait_until="domcontentloaded", timeout=60_000)
        _wait(page, lambda s: s["status"] == "idle" and len(s["prompts"]) == len(sources), 90,
              f"{path} to open with an idle kernel")
        opened = time.monotonic()
        _run_all_cells(page)

        def finished(state: dict) -> bool:
            if state["status"] != "idle" or any(p == "[*]:" for p in state["prompts"]):
                return False
            counted = all(state["prompts"][i] not in ("", "[ ]:") for i in wanted)
            return counted or bool(_error_texts(state["outputs"]))  # an error stops Run All early

        state = _wait(page, finished, timeout, f"Run All Cells to finish in {path}")
        ran = time.monotonic()
        views = page.locator(_WIDGET_SELECTOR)
        widgets = [views.nth(i) for i in range(views.count())
                   if not views.nth(i).evaluate(_IS_PROGRESS_BAR_JS)]
        if widgets:
            widgets[0].scroll_into_view_if_needed()
            page.wait_for_timeout(300)
        visible_widgets = sum(1 for widget in widgets if widget.is_visible())
        if interact is not None:
            interact(page)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
        return NotebookRun(
            path=path,
            code_cells=len(wanted),
            executed=sum(1 for i in wanted if state["prompts"][i] not in ("", "[ ]:")),
            unexecuted=[i for i in wanted if state["prompts"][i] in ("", "[ ]:")],
            outputs=sum(len(o) for o in state["outputs"]),
            widgets=visible_widgets,
            progress_bars=views.count() - len(widgets),
            errors=_error_texts(state["outputs"]),
            outside_requests=outside,
            page_errors=page_errors,
            file_changed=file_digest(notebook) != digest,
            kernel_status=state["status"],
            seconds=round(time.monotonic() - started, 1),
            open_seconds=round(opened - started, 1),
            run_seconds=round(ran - opened, 1),
            screenshot=screenshot,
        )
    finally:
        page.close()  # no beforeunload prompt: unsaved outputs are simply dropped
        try:
            server.shutdown_kernels()
        except (OSError, urllib.error.URLError):
            pass
