"""A PyTorch Lightning callback (extra ``[lightning]``): :func:`unibench.app.hooks.every` at the end of
training epochs::

    trainer = lightning.Trainer(callbacks=[UniBenchCallback(5, tasks=["vos"], tap="layer3",
                                                            store="runs/tracking")])

``module`` names the attribute of the LightningModule that is the backbone to evaluate (default:
the LightningModule itself); each evaluated epoch's J&F-style headline figures are logged to the
trainer's loggers as ``unibench/<task>/<official name>``, and every table is kept in ``history``.
"""

from __future__ import annotations

from typing import Any

from unibench.app.hooks import Every
from unibench.errors import ConfigError

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the extra is optional: the name exists, building it says what to install
    Callback = object  # type: ignore[assignment,misc]
    _MISSING = True
else:
    _MISSING = False


class UniBenchCallback(Callback):  # type: ignore[misc,valid-type]
    def __init__(self, n_epochs: int, module: str | None = None, **evaluate_kwargs: Any) -> None:
        if _MISSING:
            raise ConfigError("UniBenchCallback needs lightning: pip install 'unibench[lightning]'")
        super().__init__()
        self.every = Every(n_epochs, dict(evaluate_kwargs))
        self.module = module

    @property
    def history(self):
        return self.every.history

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        model = getattr(pl_module, self.module) if self.module else pl_module
        table = self.every(trainer.current_epoch, model)
        if table is None:
            return
        figures = {f"unibench/{r.task}/{r.official}": float(r.value) for r in table.itertuples()}
        pl_module.log_dict(figures, on_epoch=True, logger=True)
