"""Text towers and region grounding: CLIP's text transformer beside a card's image tower, for the
protocols that compare image regions with language (the R-VOS ``zero-shot-grounding`` protocol).

A card with a text tower declares it (:class:`TextTowerCfg`): the activation its authors trained
with and where the full CLIP checkpoint (both towers, one training run) lives. The text tower is
never taken from another checkpoint than the image tower's: with ``--checkpoint`` the same file
must hold both towers (OpenAI's full model, or an OpenCLIP training checkpoint); otherwise the
card's full checkpoint is found or fetched like any weight file (UniBench's pick-up folder, the
Hugging Face cache, else a download; ``UNIBENCH_OFFLINE=1`` forbids it) and hashed into the run
identity.

The text transformer and the BPE tokenizer are OpenCLIP's (``open_clip_torch``, the ``text``
extra): the network is built from the checkpoint's shapes the way OpenAI's and OpenCLIP's
``build_model_from_openai_state_dict`` read them (width, heads = width / 64, layers, context
length, vocabulary, embedding size), then loaded strictly from the checkpoint's text keys
(``token_embedding.weight``, ``positional_embedding``, ``transformer.resblocks.*``, ``ln_final.*``,
``text_projection``). An expression's embedding is ``encode_text``'s: the final-norm token at the
end-of-text position, times ``text_projection``, L2-normalised.

Regions (:class:`Grounder`): the frame goes through the card's preprocessing at a given height,
the image tower's final-norm tokens (the tap ``norm``, CLIP's ``ln_post``) are averaged inside the
region with weights equal to the fraction of each token's cell the mask covers (the mask resized
like the frame, zero over the patch padding), and the average goes through the image tower's
projection (timm's ``head``: CLIP's ``proj``), then is L2-normalised. The similarity of a region
and an expression is the cosine of the two embeddings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from unibench.appearance_models._base import (
    MODELS,
    AppearanceModel,
    FeatureExtractor,
    PretrainedCfg,
    TextTowerCfg,
)
from unibench.appearance_models._checkpoint import read_state_dict
from unibench.appearance_models.timm_adapter import obtain

from unibench.errors import CheckpointError, ConfigError

__all__ = [
    "CLIPTextTower",
    "Grounder",
    "TextTowerCfg",
    "image_projection",
    "load_text_tower",
    "mask_weights",
    "text_tower_file",
]

# wrappers a full CLIP checkpoint comes in: OpenAI's / OpenCLIP's release (none), an OpenCLIP
# training checkpoint (``state_dict`` → ``module.``, unwrapped by read_state_dict down to module.)
TEXT_PREFIXES = ("", "module.")
_TEXT_KEYS = ("token_embedding.", "positional_embedding", "transformer.", "ln_final.",
              "text_projection")  # fmt: skip


def text_tower_file(cfg: PretrainedCfg, checkpoint: str | None = None) -> Path:
    """The file a card's text tower is read from: ``checkpoint`` (which must then hold both
    towers), else the card's full CLIP checkpoint, found or fetched."""
    tt = cfg.text_tower
    if tt is None:
        raise ConfigError(no_text_tower(cfg.name))
    if checkpoint is not None:
        return Path(checkpoint)
    return obtain(f"{cfg.name} text tower", tt.hf_hub, tt.hf_hub, None, tt.files)


def no_text_tower(name: str) -> str:
    having = sorted(m for m, c in MODELS.as_dict().items() if c.text_tower is not None)
    return (
        f"model {name!r} has no text tower, which the zero-shot-grounding protocol needs to "
        f"compare expressions with regions; models with one: {', '.join(having) or '(none)'}"
    )


def _text_state(state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    for p in TEXT_PREFIXES:
        if p + "token_embedding.weight" in state:
            return {
                k[len(p) :]: v
                for k, v in state.items()
                if k.startswith(p) and k[len(p) :].startswith(_TEXT_KEYS)
            }
    raise CheckpointError(
        f"{source}: no CLIP text tower in this checkpoint (no token_embedding.weight, looked "
        f"under the prefixes {', '.join(repr(p) for p in TEXT_PREFIXES)}); the zero-shot-grounding "
        "protocol reads the text tower from the image tower's own checkpoint: give the full "
        "CLIP model (both towers)"
    )


class CLIPTextTower(nn.Module):
    """CLIP's text encoder (OpenCLIP's ``TextTransformer``) with its tokenizer."""

    def __init__(
        self,
        vocab_size: int,
        width: int,
        layers: int,
        context_length: int,
        output_dim: int,
        mlp_ratio: float,
        activation: str,
    ) -> None:
        super().__init__()
        try:
            from open_clip.tokenizer import SimpleTokenizer
            from open_clip.transformer import QuickGELU, TextTransformer
        except ImportError as exc:
            raise ConfigError(
                "the CLIP text tower needs OpenCLIP: pip install 'unibench[text]' (open_clip_torch)"
            ) from exc
        self.net = TextTransformer(
            context_length=context_length,
            vocab_size=vocab_size,
            width=width,
            heads=max(1, width // 64),
            layers=layers,
            mlp_ratio=mlp_ratio,
            output_dim=output_dim,
            act_layer=QuickGELU if activation == "quick_gelu" else nn.GELU,
        )
        self.tokenizer = SimpleTokenizer(context_length=context_length)
        self.context_length = context_length
        self.dim = output_dim

    @classmethod
    def from_state(
        cls, state: dict[str, torch.Tensor], activation: str, source: str
    ) -> CLIPTextTower:
        sd = _text_state(state, source)
        try:
            vocab, width = sd["token_embedding.weight"].shape
            context = sd["positional_embedding"].shape[0]
            layers = len(
                {
                    int(m.group(1))
                    for k in sd
                    if (m := re.match(r"transformer\.resblocks\.(\d+)\.", k))
                }
            )
            output_dim = sd["text_projection"].shape[1]
            mlp_ratio = sd["transformer.resblocks.0.mlp.c_fc.weight"].shape[0] / width
        except (KeyError, IndexError, ValueError) as exc:
            raise CheckpointError(
                f"{source}: the CLIP text tower is incomplete (missing {exc}): expected "
                "token_embedding.weight, positional_embedding, transformer.resblocks.<i>.*, "
                "ln_final.*, text_projection"
            ) from None
        tower = cls(int(vocab), int(width), layers, int(context), int(output_dim), mlp_ratio,
                    activation)  # fmt: skip
        missing, unexpected = tower.net.load_state_dict(sd, strict=False)
        if missing or unexpected:
            raise CheckpointError(
                f"{source}: the CLIP text tower does not fit its own shapes: missing "
                f"{', '.join(missing[:4]) or 'none'}; unexpected {', '.join(unexpected[:4]) or 'none'}"
            )
        bad = [k for k, v in sd.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:
            raise CheckpointError(f"{source}: non-finite values in the text tower ({bad[0]})")
        return tower.eval()

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """OpenCLIP's tokenizer: lower-cased BPE, start/end tokens, cut to the context length
        (the end-of-text token kept last)."""
        return self.tokenizer(list(texts), context_length=self.context_length)

    @torch.inference_mode()
    def encode(self, texts: Sequence[str]) -> torch.Tensor:
        """``N × D`` L2-normalised embeddings of ``texts``."""
        dev = next(self.net.parameters()).device
        return F.normalize(self.net(self.tokenize(texts).to(dev)).float(), dim=-1)


def load_text_tower(cfg: PretrainedCfg, checkpoint: str | None = None) -> CLIPTextTower:
    """A card's text tower, read from :func:`text_tower_file` (never executing pickle code)."""
    if cfg.text_tower is None:
        raise ConfigError(no_text_tower(cfg.name))
    path = text_tower_file(cfg, checkpoint)
    return CLIPTextTower.from_state(read_state_dict(path), cfg.text_tower.activation, str(path))


def image_projection(model: AppearanceModel, dim: int, name: str) -> nn.Linear:
    """The image tower's projection into the text space (timm's ``head``: CLIP's ``proj``)."""
    head = getattr(getattr(model, "net", None), "head", None)
    if not isinstance(head, nn.Linear) or head.out_features != dim:
        raise ConfigError(
            f"model {name!r}: its image tower has no projection to the {dim}-d text space "
            f"(expected a timm CLIP tower whose head maps to {dim} features)"
        )
    return head


def mask_weights(masks: torch.Tensor, size: tuple[int, int], grid: tuple[int, int], stride: int):
    """``M × h × w`` weights of feature cells: the fraction of each ``stride``-pixel cell that a
    mask covers, the masks (``M × H × W``) resized to the network's input ``size`` (area
    interpolation) and zero over the padding up to ``grid × stride``."""
    m = F.interpolate(masks[:, None].float(), size=size, mode="area")
    ph, pw = grid[0] * stride - size[0], grid[1] * stride - size[1]
    if ph < 0 or pw < 0:
        raise ValueError(f"a {grid} grid at stride {stride} does not cover an input of {size}")
    m = F.pad(m, (0, pw, 0, ph))
    return F.avg_pool2d(m, stride)[:, 0]


class Grounder:
    """Region and expression embeddings of one model (see the module docstring)."""

    # behaviour version of region pooling and text encoding (part of a grounding run's identity)
    version = 1

    def __init__(
        self, model: AppearanceModel, cfg: PretrainedCfg, tower: CLIPTextTower, device: str
    ) -> None:
        if cfg.text_tower is None:
            raise ConfigError(no_text_tower(cfg.name))
        self.extractor = FeatureExtractor(model, cfg, device=device, tap=cfg.text_tower.image_tap)
        self.tower = tower.to(self.extractor.device)
        self.proj = image_projection(model, tower.dim, cfg.name)

    def texts(self, texts: Sequence[str]) -> torch.Tensor:
        return self.tower.encode(texts)

    @torch.inference_mode()
    def regions(self, frame: np.ndarray, masks: Sequence[np.ndarray], height: int) -> torch.Tensor:
        """``M × D`` L2-normalised embeddings of the regions ``masks`` (``H × W`` bool) of
        ``frame``."""
        fm = self.extractor(frame, height)
        m = torch.from_numpy(np.stack([np.asarray(k, bool) for k in masks])).to(fm.data.device)
        size = self.extractor.input_size(frame.shape[:2], height)
        w = mask_weights(m, size, fm.grid, fm.stride)
        area = w.flatten(1).sum(1, keepdim=True)
        if (area <= 0).any():
            raise ValueError("an empty region has no embedding")
        pooled = w.flatten(1) @ fm.data.flatten(1).T / area  # M × C
        return F.normalize(self.proj(pooled).float(), dim=-1)
