"""Execute a learner's notebook to the end: fresh kernel, per-cell time limit, errors allowed, no network.

Every code cell runs, in order, in a fresh kernel of this environment (not whatever kernel the
notebook's metadata names), with the network guard on (`labkit.testing.no_network.child_environment`)
and the notebook's own folder as working directory. What happens to each cell is recorded:

- ok / error: the cell finished (an error output is kept in the notebook, execution goes on);
- timeout: the cell ran longer than the limit. The kernel is interrupted; if it does not answer a probe
  within a short grace period (a loop that swallows KeyboardInterrupt, a blocking C call), it is
  restarted and the cells that had already finished are replayed silently, so later cells still see
  the definitions they depend on;
- died: the kernel process died during the cell (os._exit, a crash); restarted and replayed likewise;
- skipped: cells tagged `skip-grading` (slow demos), unless `run_tagged`.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from labkit.grading.namespace import read_notebook
from labkit.testing.no_network import child_environment

SKIP_TAG = "skip-grading"
TIMEOUT_ENAME = "LabkitCellTimeout"  # the error nbclient reports for a cell it interrupted on timeout


@dataclass
class CellRun:
    index: int
    status: str           # "ok" | "error" | "timeout" | "died" | "skipped"
    seconds: float = 0.0
    error: str = ""       # "ValueError: bad input" for error / timeout / died


@dataclass
class Execution:
    notebook: Path                      # the executed notebook (written in place)
    cells: list[CellRun] = field(default_factory=list)
    seconds: float = 0.0
    restarts: int = 0

    def indices(self, *statuses: str) -> list[int]:
        return [c.index for c in self.cells if c.status in statuses]

    @property
    def errored(self) -> list[int]:
        return self.indices("error")

    @property
    def timed_out(self) -> list[int]:
        return self.indices("timeout")

    @property
    def died(self) -> list[int]:
        return self.indices("died")


class CurrentEnvKernelSpecs(KernelSpecManager):
    """Always the ipykernel of the running Python: a user-level 'python3' kernelspec cannot redirect
    grading to another interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:  # noqa: ARG002 - one kernel for every name
        from ipykernel.kernelspec import get_kernel_dict

        return KernelSpec(resource_dir="", **get_kernel_dict())


def _error_text(cell: nbformat.NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return ""


def _note(cell: nbformat.NotebookNode, ename: str, evalue: str) -> None:
    """Append an error output, so the executed notebook shows why the cell stopped."""
    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))


class _Runner:
    def __init__(self, nb: nbformat.NotebookNode, folder: Path, timeout: float, log: Path):
        self.nb, self.folder, self.timeout, self.log = nb, folder, timeout, log
        self.limit = timeout  # the current per-cell limit (the probe uses a shorter one)
        self.grace = min(5.0, max(1.0, timeout / 2))
        km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentEnvKernelSpecs())
        # On timeout nbclient interrupts the kernel and reports TIMEOUT_ENAME at once, then waits at most
        # iopub_timeout for the cell's last output; whether the kernel recovered is probed afterwards.
        # (Letting nbclient raise CellTimeoutError instead leaves its output-reading task running, and
        # that task then swallows later cells' outputs.)
        self.client = NotebookClient(
            nb, km=km, timeout_func=lambda cell: self.limit, allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "", "traceback": []},
            iopub_timeout=math.ceil(self.grace), record_timing=False, shutdown_kernel="immediate",
            on_cell_executed=self._executed, resources={"metadata": {"path": str(folder)}})
        self.restarts, self.current = 0, 0
        self.reply: dict = {}

    def _executed(self, cell, cell_index, execute_reply) -> None:  # noqa: ARG002 - nbclient hook signature
        self.reply = execute_reply or {}

    async def _run_cell(self, cell, index: int) -> bool:
        """Execute one cell; False when it timed out (raises DeadKernelError when the kernel died)."""
        self.reply = {}
        await self.client.async_execute_cell(cell, index)
        return self.reply.get("content", {}).get("ename") != TIMEOUT_ENAME

    async def _run_aside(self, source: str, index: int) -> bool:
        """Run `source` in the kernel without touching the notebook (nbclient stores the cell it ran
        at `index`, so the original cell is put back)."""
        original = self.nb.cells[index]
        try:
            return await self._run_cell(nbformat.v4.new_code_cell(source), index)
        finally:
            self.nb.cells[index] = original

    async def run(self, run_tagged: bool) -> list[CellRun]:
        runs: list[CellRun] = []
        with open(self.log, "w") as log:
            async with self.client.async_setup_kernel(env=child_environment(), stdout=log, stderr=log):
                for index, cell in enumerate(self.nb.cells):
                    if cell.cell_type != "code":
                        continue
                    if SKIP_TAG in cell.metadata.get("tags", []) and not run_tagged:
                        cell.outputs, cell.execution_count = [], None
                        runs.append(CellRun(index, "skipped"))
                        continue
                    runs.append(await self.cell(cell, index, runs))
        return runs

    async def cell(self, cell, index: int, done: list[CellRun]) -> CellRun:
        start, self.current = time.monotonic(), index
        try:
            finished = await self._run_cell(cell, index)
            if not finished:
                _note(cell, "TimeoutError", f"cell {index} ran longer than {self.timeout:g} s and was stopped "
                                            "(labkit grade)")
                if not await self.responsive():
                    await self.restart(done)
                return CellRun(index, "timeout", time.monotonic() - start, f"timed out after {self.timeout:g} s")
        except DeadKernelError:
            _note(cell, "DeadKernelError", f"the kernel died while running cell {index} (labkit grade)")
            await self.restart(done)
            return CellRun(index, "died", time.monotonic() - start, "the kernel died")
        error = _error_text(cell)
        return CellRun(index, "error" if error else "ok", time.monotonic() - start, error)

    async def responsive(self) -> bool:
        """True when the (interrupted) kernel answers a probe within the grace period."""
        self.limit = self.grace
        try:
            return await self._run_aside("pass", self.current)
        except (CellTimeoutError, DeadKernelError):
            return False
        finally:
            self.limit = self.timeout

    async def restart(self, done: list[CellRun]) -> None:
        """A new kernel process, then replay (outputs discarded) the cells that had finished."""
        self.restarts += 1
        await self.fresh_kernel()
        for run in done:
            if run.status not in ("ok", "error"):
                continue
            try:
                if await self._run_aside(self.nb.cells[run.index].source, run.index):
                    continue
            except (CellTimeoutError, DeadKernelError):
                pass
            await self.fresh_kernel()  # give up replaying; later cells may then fail
            return

    async def fresh_kernel(self) -> None:
        await self.client.km.restart_kernel(now=True)
        if self.client.kc is not None:
            self.client.kc.stop_channels()
            self.client.kc = None
        await self.client.async_start_new_kernel_client()


def execute_notebook(path: Path, timeout: float = 60.0, run_tagged: bool = False) -> Execution:
    """Execute notebook `path` in its own folder and write the executed notebook back to `path`.

    Raises NotebookUnreadable (before starting a kernel) for a file that is not a notebook. The kernel's
    own stdout/stderr (not the cells' output) go to `<path>.kernel.log` next to it.
    """
    path = Path(path)
    nb = read_notebook(path)
    start = time.monotonic()
    runner = _Runner(nb, path.parent, timeout, path.with_suffix(".kernel.log"))
    cells = asyncio.run(runner.run(run_tagged))
    nbformat.write(nb, str(path))
    return Execution(path, cells, time.monotonic() - start, runner.restarts)
