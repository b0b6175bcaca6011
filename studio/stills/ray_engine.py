"""`studio process --engine ray`: the same cutout function on many boxes, run by Ray Data (extra ``[cluster]``).

The driver (the machine that runs `studio process`) plans the outputs and keeps the journal, exactly as the local
engines do; the pictures go to Ray Data's ``map_batches`` with a callable class, so every actor opens the segmenter
once (``Cutter``) and cuts out picture after picture with ``batch._process_one``: the same decode, model, refinement,
encoder and atomic write as `studio process` on one box, so the files are byte-identical to the local engine's.
Inputs and outputs must be on paths every node sees (a shared mount).

Ray restarts an actor whose process dies and retries its unfinished batch (Ray Data creates its actors with
``max_restarts=-1, max_task_retries=-1``). So that a retried batch writes nothing twice, each picture leaves a small
receipt (its journal record) in a run folder beside the outputs once its file is in place, written atomically; a retry
finds the receipt and hands it back instead of cutting out the picture again. Files themselves are written atomically,
so a killed worker never leaves half of one. Records reach the driver in input order (``preserve_order``), where the
journal is written; failures are per picture and never stop the run (each node may fail for its own reasons).

Cluster: ``address`` (``--ray-address``) or ``RAY_ADDRESS``; none: a local Ray on this machine.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from studio.core.errors import StudioError

log = logging.getLogger(__name__)

RUN_DIR_PREFIX = ".studio-run-"
_INSTALL = "pip install 'studio[cluster]' (ray[data])"


def _ray():
    try:
        import ray
    except ImportError:
        raise StudioError("--engine ray needs Ray", hint=_INSTALL) from None
    return ray


class CutActor:
    """One per Ray actor: the model opened once, then pictures one after another (Ray Data's callable class)."""

    def __init__(self, model: str, backend: str, device: str, options: bytes, run_dir: str,
                 crash_once: tuple[str, str] | None = None, precision: str | None = None) -> None:
        from studio.stills.cutout import Cutter

        self.opts = pickle.loads(options)
        self.cutter = Cutter.for_batch(model, backend, device, self.opts, precision)
        self.run_dir = Path(run_dir)
        # Tests: (picture name, marker file): the process dies once at that picture, after the ones before it in
        # its batch are written, leaving in the marker the inode of the last file written.
        self.crash_once = crash_once

    def __call__(self, batch: dict) -> dict:
        from studio.core.atomic import write_text_atomic
        from studio.stills.batch import _process_one
        from studio.stills.engine import plan_label
        from studio.stills.inputs import BatchItem

        out = []
        for index, inp, outp in zip(batch["index"], batch["input"], batch["output"]):
            receipt = self.run_dir / f"{int(index)}.json"
            if receipt.is_file():  # done before this actor's predecessor died: hand back what it recorded
                out.append(receipt.read_text(encoding="utf-8"))
                continue
            self._maybe_crash(Path(inp), out)
            record, _ = _process_one(BatchItem(Path(inp), Path(outp)), self.cutter, self.opts)
            plan = plan_label(self.cutter)
            if plan:
                record["precision"] = plan
            record["node"] = os.uname().nodename
            text = json.dumps(record)
            write_text_atomic(receipt, text)
            out.append(text)
        return {"index": list(batch["index"]), "record": out}

    def _maybe_crash(self, inp: Path, done: list) -> None:
        if not self.crash_once:
            return
        name, marker = self.crash_once[0], Path(self.crash_once[1])
        written = [json.loads(t)["output"] for t in done if json.loads(t)["status"] == "ok"]
        if inp.name == name and written and not marker.exists():
            before = written[-1]
            marker.write_text(json.dumps({"output": before, "inode": os.stat(before).st_ino}))
            os._exit(17)  # as a worker killed by the OOM killer or a lost node would


def init(address: str | None = None, *, num_cpus: int | None = None) -> None:
    """Connect to the cluster (``address``, else $RAY_ADDRESS), or start a local Ray when neither is given."""
    ray = _ray()
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    kwargs = dict(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), object_store_memory=128 * 2**20, **kwargs)


def ray_records(todo: list, opts, *, model: str, backend: str = "auto", device: str = "auto",
                address: str | None = None, workers: int | None = None, cpus_per_worker: float = 1.0,
                batch_size: int = 4, crash_once: tuple[str, str] | None = None,
                precision: str | None = None) -> Iterator[tuple]:
    """``(item, record, None)`` per picture of ``todo``, in order, cut out by Ray actors; see the module docstring.
    ``workers``: actors (default: the cluster's CPUs / cpus_per_worker)."""
    if not todo:
        return
    ray = _ray()
    import ray.data  # noqa: F401 - the [cluster] extra's ray[data]

    init(address)
    if workers is None:
        workers = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_worker))
    run_dir = todo[0].output.parent / f"{RUN_DIR_PREFIX}{uuid.uuid4().hex[:12]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        rows = [{"index": i, "input": str(it.input.resolve()), "output": str(it.output.resolve())}
                for i, it in enumerate(todo)]
        ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), len(rows) // batch_size + 1)))
        ds = ds.map_batches(
            CutActor, batch_size=batch_size, batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=cpus_per_worker,  # Ray Data's actors: max_restarts=-1, max_task_retries=-1 by default
            fn_constructor_kwargs={"model": model, "backend": backend, "device": device,
                                   "options": pickle.dumps(opts), "run_dir": str(run_dir), "crash_once": crash_once,
                                   "precision": precision})
        for row in ds.iter_rows():
            yield todo[int(row["index"])], json.loads(row["record"]), None
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
