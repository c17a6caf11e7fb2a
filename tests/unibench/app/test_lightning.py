"""The Lightning callback (extra ``[lightning]``): it evaluates the named backbone at the end of a
training epoch and logs the figures under ``unibench/<task>/<official name>``."""

from __future__ import annotations

import pytest
import torch
import torchvision

L = pytest.importorskip("lightning", reason="extra [lightning]")

from unibench.app.lightning import UniBenchCallback  # noqa: E402
from unibench.store import ResultStore  # noqa: E402


class Tiny(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = torchvision.models.resnet18()

    def training_step(self, batch, _):
        return self.backbone(batch[0]).logsumexp(1).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)

    def train_dataloader(self):
        data = torch.utils.data.TensorDataset(torch.randn(2, 3, 64, 64))
        return torch.utils.data.DataLoader(data, batch_size=2)


def test_the_callback_evaluates_the_backbone_and_logs_it(tmp_path):
    cb = UniBenchCallback(
        1, module="backbone", tasks=["vos"], tap="layer3", sequences=["synth-00"], store=tmp_path
    )
    trainer = L.Trainer(
        max_epochs=1, callbacks=[cb], logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
        default_root_dir=tmp_path,
    )  # fmt: skip
    trainer.fit(Tiny())
    (rec,) = ResultStore(tmp_path).records()
    assert rec.model == "resnet18" and sorted(cb.history) == [0]
    key = "unibench/vos/J&F-Mean (davis2017-evaluation)"
    jf = cb.history[0].query("metric == 'J&F-Mean'").value.iloc[0]
    assert trainer.callback_metrics[key].item() == pytest.approx(jf, rel=1e-6)
