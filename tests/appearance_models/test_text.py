"""Text towers and region grounding (unibench.appearance_models.text): the text tower equals
OpenCLIP's own ``CLIP.encode_text`` on a fabricated full CLIP checkpoint in each layout, the
activation matters, the region pooling by hand, the file rules (the image tower's own checkpoint,
the card's Hub repository, offline error)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from unibench.appearance_models import create_model, get_cfg
from unibench.appearance_models._base import TextTowerCfg
from unibench.appearance_models.text import (
    CLIPTextTower,
    Grounder,
    load_text_tower,
    mask_weights,
    text_tower_file,
)
from unibench.appearance_models.timm_adapter import pickup_dir

from unibench.errors import CheckpointError, ConfigError

open_clip = pytest.importorskip("open_clip")
TEXTS = ["the red car on the left", "a dog", "", "word " * 100]  # empty and over-long included


def _reference(clip, texts):
    with torch.no_grad():
        return F.normalize(clip.encode_text(open_clip.tokenize(texts)), dim=-1)


@pytest.mark.parametrize("activation", ["quick_gelu", "gelu"])
def test_text_tower_equals_openclip_encode_text(activation, make_open_clip):
    clip = make_open_clip(quick_gelu=activation == "quick_gelu")
    tower = CLIPTextTower.from_state(clip.state_dict(), activation, "fabricated")
    ours = tower.encode(TEXTS)
    torch.testing.assert_close(ours, _reference(clip, TEXTS), atol=1e-6, rtol=0)
    other = "gelu" if activation == "quick_gelu" else "quick_gelu"
    wrong = CLIPTextTower.from_state(clip.state_dict(), other, "fabricated").encode(TEXTS)
    assert (wrong - ours).abs().max() > 1e-4  # the declared activation is the one run
    tok = tower.tokenize(TEXTS)
    assert tok.shape == (4, 77) and int(tok[3, -1]) == 49407  # cut, the end token kept last


def test_text_tower_reads_each_checkpoint_layout(tmp_path, tiny_clip):
    """OpenAI's / OpenCLIP's release (both towers at the top level) and an OpenCLIP training
    checkpoint (``state_dict`` → ``module.``), through the card."""
    card = get_cfg(tiny_clip.name)
    ref = _reference(tiny_clip.clip, TEXTS)
    wrapped = tmp_path / "epoch_32.pt"
    sd = tiny_clip.clip.state_dict()
    torch.save({"epoch": 32, "state_dict": {f"module.{k}": v for k, v in sd.items()}}, wrapped)
    for path in (tiny_clip.checkpoint, wrapped):
        tower = load_text_tower(card, str(path))
        torch.testing.assert_close(tower.encode(TEXTS), ref, atol=1e-6, rtol=0)
    # the image tower of the same file loads strictly (the text keys are dropped on purpose)
    ex, report = create_model(tiny_clip.name, checkpoint=str(wrapped))
    assert report.missing == [] and report.unexpected == []
    torch.testing.assert_close(ex.model.net.head.weight, sd["visual.proj"].t())


def test_a_checkpoint_without_text_tower_is_one_clear_error(tmp_path, tiny_clip):
    card = get_cfg(tiny_clip.name)
    image_only = tmp_path / "visual.pth"
    sd = tiny_clip.clip.state_dict()
    torch.save({k: v for k, v in sd.items() if k.startswith("visual.")}, image_only)
    with pytest.raises(CheckpointError, match=r"visual.pth: no CLIP text tower.*both towers"):
        load_text_tower(card, str(image_only))
    broken = tmp_path / "broken.pth"
    torch.save({k: v for k, v in sd.items() if k != "text_projection"}, broken)
    with pytest.raises(CheckpointError, match=r"incomplete \(missing 'text_projection'\)"):
        load_text_tower(card, str(broken))
    with pytest.raises(ConfigError, match=r"'pixels' has no text tower.*clip_openai"):
        load_text_tower(get_cfg("pixels"))
    with pytest.raises(ConfigError, match="gelu or quick_gelu"):
        TextTowerCfg("relu", "x/y")


def test_the_card_text_tower_file_offline_and_picked_up(tmp_path, monkeypatch):
    """No checkpoint: the full CLIP file of the card's Hub repository, from the pick-up folder
    or the Hugging Face cache; offline and absent, an error naming where to put it, at once."""
    monkeypatch.setenv("UNIBENCH_CACHE", str(tmp_path / "cache"))
    card = get_cfg("vit_base_patch16.clip_openai")
    with pytest.raises(CheckpointError) as err:
        text_tower_file(card)
    msg = str(err.value)
    assert "clip_openai text tower" in msg and "downloads are off" in msg
    assert "timm--vit_base_patch16_clip_224.openai" in msg  # the pick-up folder
    assert "huggingface.co/timm/vit_base_patch16_clip_224.openai" in msg
    pick = pickup_dir("laion/CLIP-ViT-B-16-laion2B-s34B-b88K")
    assert pick.name == "laion--CLIP-ViT-B-16-laion2B-s34B-b88K" and tmp_path in pick.parents
    pick.mkdir(parents=True)
    (pick / "open_clip_pytorch_model.bin").write_bytes(b"x")
    found = text_tower_file(get_cfg("vit_base_patch16.clip_laion2b"))
    assert found == pick / "open_clip_pytorch_model.bin"
    (pick / "open_clip_model.safetensors").write_bytes(b"x")  # safetensors first
    assert text_tower_file(get_cfg("vit_base_patch16.clip_laion2b")).suffix == ".safetensors"


def test_mask_weights_by_hand():
    """The fraction of each 4-pixel cell a mask covers; the input 6 wide is padded to 8."""
    m = torch.zeros(2, 4, 6, dtype=torch.bool)
    m[0, :, :4] = True  # exactly cell (0, 0)
    m[1, :2, 4:6] = True  # half of cell (0, 1)'s real pixels: 4 of its 16
    w = mask_weights(m, (4, 6), (1, 2), 4)
    torch.testing.assert_close(w, torch.tensor([[[1.0, 0.0]], [[0.0, 0.25]]]))
    # a frame resized to half its height: the mask is area-averaged the same way
    big = torch.zeros(1, 8, 12, dtype=torch.bool)
    big[0, :, :8] = True
    torch.testing.assert_close(mask_weights(big, (4, 6), (1, 2), 4), w[:1])


def test_region_embedding_is_the_projected_mask_average(tiny_clip):
    ex, _ = create_model(tiny_clip.name, checkpoint=str(tiny_clip.checkpoint))
    card = get_cfg(tiny_clip.name)
    g = Grounder(ex.model, card, load_text_tower(card, str(tiny_clip.checkpoint)), "cpu")
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (48, 70, 3), dtype=np.uint8)  # 70: padded to 80
    a = np.zeros((48, 70), bool)
    a[:16, :32] = True  # cells (0, 0), (0, 1)
    b = np.zeros((48, 70), bool)
    b[32:, 64:] = True  # 16 × 6 pixels of cell (2, 4): weight 6/16
    emb = g.regions(frame, [a, b], 48)
    fm = g.extractor(frame, 48).data  # the tap norm: C × 3 × 5
    head = ex.model.net.head
    with torch.no_grad():
        ea = F.normalize(head(fm[:, 0, :2].mean(1)), dim=-1)
        eb = F.normalize(head(fm[:, 2, 4]), dim=-1)
    torch.testing.assert_close(emb, torch.stack([ea, eb]), atol=1e-5, rtol=0)
    # texts: the card's tower, L2-normalised
    t = g.texts(["a", "b"])
    torch.testing.assert_close(t.norm(dim=-1), torch.ones(2))
