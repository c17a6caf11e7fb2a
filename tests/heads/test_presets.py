"""Presets, one home per head, and the cards that name them.

Every card's protocol (``head_defaults: {task: {preset: NAME}}``) names a preset of the head that
task runs by default (a typo would otherwise surface only when someone runs that card), and every
preset sets only parameters its head declares.
"""

from __future__ import annotations

import dataclasses

import pytest
from unibench.appearance_models import MODELS
from unibench.heads import HEADS

from unibench.tasks import TASKS


@pytest.mark.parametrize("name", MODELS.names())
def test_a_card_names_only_presets_its_heads_have(name):
    card = MODELS.get(name)
    for task, params in card.head_defaults.items():
        head = HEADS.get(TASKS.get(task).default_head)
        preset = params.get("preset")
        if preset is not None:
            assert preset in head.presets, f"{name}: {task} preset {preset!r} unknown"


@pytest.mark.parametrize("head", HEADS.names())
def test_every_preset_sets_declared_parameters_only(head):
    cls = HEADS.get(head)
    fields = {f.name for f in dataclasses.fields(cls.Params)}
    for preset, params in getattr(cls, "presets", {}).items():
        unknown = set(params) - fields
        assert not unknown, f"{head} preset {preset}: unknown parameters {sorted(unknown)}"
        assert params.get("preset", preset) == preset
