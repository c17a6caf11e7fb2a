"""TensorBoard (extra ``[tensorboard]``): ``<out>/<model>-<tap>-<head>-<benchmark>-<run id>/``, one
event file per record; scalars at step 0 under ``<task>/<official name>``; the identity as the text
summary ``identity`` (json), the per-sequence table as text and ``per_sequence.csv``, the record's
figures as images ``figures/<name>``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
from PIL import Image
from unibench.reports.formats.base import ReportInputs, register_format
from unibench.reports.logged_runs import identity_params, record_figures, run_name, summary_metrics
from unibench.reports.tidy import per_sequence_frame

from unibench.datatypes import ResultRecord
from unibench.errors import ConfigError


def export_tensorboard(records: list[ResultRecord], out: Path) -> list[Path]:
    """One event-file folder per record under ``out`` (see the module docstring)."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:  # torch's writer needs the tensorboard package
        raise ConfigError(
            "the TensorBoard export needs the tensorboard package: pip install 'unibench[tensorboard]'"
        ) from exc
    folders = []
    for rec in records:
        folder = Path(out) / run_name(rec)
        with contextlib.closing(SummaryWriter(log_dir=str(folder))) as w:
            for name, value in summary_metrics(rec).items():
                w.add_scalar(f"{rec.task}/{name}", value, 0)
            w.add_text("identity", json.dumps(identity_params(rec), sort_keys=True), 0)
            table = per_sequence_frame(rec)
            w.add_text("per_sequence", "```\n" + table.to_csv(index=False) + "```", 0)
            for fig in record_figures(rec, folder / "figures"):
                if fig.suffix == ".png":
                    with Image.open(fig) as im:
                        rgb = np.asarray(im.convert("RGB"))
                    w.add_image(f"figures/{fig.stem}", rgb, 0, dataformats="HWC")
        table.to_csv(folder / "per_sequence.csv", index=False)
        folders.append(folder)
    return folders


@register_format("tensorboard", "logger", "one TensorBoard event folder per record", "tensorboard")
def write_tensorboard(inputs: ReportInputs, target) -> list[Path]:
    return export_tensorboard(inputs.records, Path(target))
