"""Execute a learner's notebook to the end, then its lab's probes, in one fresh kernel (inside the sandbox).

labkit.grading.driver calls this inside the sandbox; nothing here is trusted afterwards. Every code cell
runs, in order, in a fresh kernel of this environment (not whatever kernel the notebook's metadata
names), with the notebook's own folder as working directory. What happens to each cell is recorded:

- ok / error: the cell finished (an error output is kept in the notebook, execution goes on);
- timeout: the cell ran longer than the limit. The kernel is interrupted; if it does not answer a probe
  within a short grace period (a loop that swallows KeyboardInterrupt, a blocking C call), it is
  restarted and the cells that had already finished are replayed silently, so later cells still see
  the definitions they depend on;
- died: the kernel process died during the cell (os._exit, the memory limit); restarted and replayed;
- skipped: cells tagged `skip-grading` (slow demos), unless `run_tagged`;
- cap: not started, because the submission's time cap was near (what is left is kept for the probes).

Then each probe (labkit.grading.probing) runs as one more execution in the same kernel, with the same
time limit, timeout handling and restart; its result is read from the execution's output.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from labkit.grading.probing import MIME

SKIP_TAG = "skip-grading"
WATCHDOG_SLACK = 15.0  # seconds past a cell's limit (and grace) after which nbclient is not waited for
TIMEOUT_ENAME = "LabkitCellTimeout"  # the error nbclient reports for a cell it interrupted on timeout


@dataclass
class CellRun:
    index: int
    status: str           # "ok" | "error" | "timeout" | "died" | "skipped" | "cap"
    seconds: float = 0.0
    error: str = ""       # "ValueError: bad input" for error / timeout / died


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


def _output_size(cell: nbformat.NotebookNode) -> int:
    return sum(len(str(o)) for o in cell.get("outputs", []))


@dataclass
class ProbeResult:
    status: str           # "ok" | "timeout" | "died" | "error" | "missing"
    text: str = ""        # the probe's envelope (JSON text) when ok
    seconds: float = 0.0


class Runner:
    """One kernel for one notebook: `cells()` executes it, `probe()` then runs probe cells in it."""

    def __init__(self, nb: nbformat.NotebookNode, folder: Path, timeout: float, env: dict[str, str],
                 max_output: int = 1_000_000):
        self.nb, self.folder, self.timeout, self.env, self.max_output = nb, folder, timeout, env, max_output
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
        self.done: list[CellRun] = []

    def _executed(self, cell, cell_index, execute_reply) -> None:  # noqa: ARG002 - nbclient hook signature
        self.reply = execute_reply or {}
        if _output_size(cell) > self.max_output:  # a cell that printed megabytes: keep a note, not the text
            cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=(
                f"(outputs of this cell were larger than {self.max_output:,} characters and were dropped "
                "by labkit grade)\n"))]

    async def _run_cell(self, cell, index: int) -> bool:
        """Execute one cell; False when it timed out (raises DeadKernelError when the kernel died, or when
        nbclient itself got no answer well past the limit: a kernel that wrote garbage into its own
        sockets before dying can leave nbclient waiting forever)."""
        self.reply = {}
        try:
            await asyncio.wait_for(self.client.async_execute_cell(cell, index),
                                   timeout=self.limit + 2 * self.grace + WATCHDOG_SLACK)
        except TimeoutError:
            raise DeadKernelError("the kernel stopped answering") from None
        return self.reply.get("content", {}).get("ename") != TIMEOUT_ENAME

    async def _run_aside(self, source: str, index: int) -> tuple[bool, nbformat.NotebookNode]:
        """Run `source` in the kernel without touching the notebook (nbclient stores the cell it ran
        at `index`, so the original cell is put back); (finished in time, the cell that ran)."""
        original, cell = self.nb.cells[index], nbformat.v4.new_code_cell(source)
        try:
            return await self._run_cell(cell, index), cell
        finally:
            self.nb.cells[index] = original

    async def cells(self, run_tagged: bool, stop_at: float, on_cell) -> list[CellRun]:
        """Execute every code cell (none started after `stop_at`, a time.monotonic() value)."""
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            if SKIP_TAG in cell.metadata.get("tags", []) and not run_tagged:
                cell.outputs, cell.execution_count = [], None
                run = CellRun(index, "skipped")
            elif time.monotonic() >= stop_at:
                run = CellRun(index, "cap", error="not run: the submission's time cap was near")
            else:
                run = await self.cell(cell, index)
            self.done.append(run)
            on_cell(run)
        return self.done

    async def cell(self, cell, index: int) -> CellRun:
        start, self.current = time.monotonic(), index
        try:
            finished = await self._run_cell(cell, index)
            if not finished:
                _note(cell, "TimeoutError", f"cell {index} ran longer than {self.timeout:g} s and was stopped "
                                            "(labkit grade)")
                if not await self.responsive():
                    await self.restart()
                return CellRun(index, "timeout", time.monotonic() - start, f"timed out after {self.timeout:g} s")
        except DeadKernelError:
            _note(cell, "DeadKernelError", f"the kernel died while running cell {index} (labkit grade)")
            await self.restart()
            return CellRun(index, "died", time.monotonic() - start, "the kernel died")
        error = _error_text(cell)
        return CellRun(index, "error" if error else "ok", time.monotonic() - start, error)

    async def probe(self, source: str, limit: float) -> ProbeResult:
        """Run one probe cell (labkit.grading.probing.emit) and read its result from the output."""
        start, self.limit = time.monotonic(), limit
        index = len(self.nb.cells) - 1
        try:
            finished, cell = await self._run_aside(source, index)
            if not finished:
                if not await self.responsive():
                    await self.restart()
                return ProbeResult("timeout", seconds=time.monotonic() - start)
        except DeadKernelError:
            await self.restart()
            return ProbeResult("died", seconds=time.monotonic() - start)
        finally:
            self.limit = self.timeout
        texts = [o["data"][MIME] for o in cell.get("outputs", [])
                 if o.get("output_type") == "display_data" and isinstance(o.get("data", {}).get(MIME), str)]
        if texts:
            return ProbeResult("ok", texts[-1], time.monotonic() - start)
        return ProbeResult("error" if _error_text(cell) else "missing", seconds=time.monotonic() - start)

    async def responsive(self) -> bool:
        """True when the (interrupted) kernel answers a probe within the grace period."""
        limit, self.limit = self.limit, self.grace
        try:
            return (await self._run_aside("pass", self.current))[0]
        except (CellTimeoutError, DeadKernelError):
            return False
        finally:
            self.limit = limit

    async def restart(self) -> None:
        """A new kernel process, then replay (outputs discarded) the cells that had finished."""
        self.restarts += 1
        await self.fresh_kernel()
        limit, self.limit = self.limit, self.timeout
        try:
            for run in self.done:
                if run.status not in ("ok", "error"):
                    continue
                try:
                    if (await self._run_aside(self.nb.cells[run.index].source, run.index))[0]:
                        continue
                except (CellTimeoutError, DeadKernelError):
                    pass
                await self.fresh_kernel()  # give up replaying; later cells may then fail
                return
        finally:
            self.limit = limit

    async def fresh_kernel(self) -> None:
        # the AsyncKernelManager given in __init__ (nbclient types its km as KernelManager | None)
        await cast(AsyncKernelManager, self.client.km).restart_kernel(now=True)
        if self.client.kc is not None:
            # stop_channels joins the channels' thread, which never returns when the old kernel wrote
            # garbage into its sockets before dying: give it a few seconds, then leave it (a daemon thread)
            stopper = threading.Thread(target=self.client.kc.stop_channels, daemon=True)
            stopper.start()
            stopper.join(5)
            self.client.kc = None
        await self.client.async_start_new_kernel_client()


async def execute(runner: Runner, log: Path, run_tagged: bool, stop_at: float, probes, on_cell, on_probe) -> None:
    """Start the kernel, execute the notebook's cells, then run each (name, source, limit) probe."""
    if not runner.nb.cells:
        runner.nb.cells.append(nbformat.v4.new_code_cell(""))  # probes run "aside" at a cell index
    with open(log, "w") as out:
        async with runner.client.async_setup_kernel(env=runner.env, stdout=out, stderr=out):
            await runner.cells(run_tagged, stop_at, on_cell)
            for name, source, limit in probes:
                on_probe(name, await runner.probe(source, limit))
