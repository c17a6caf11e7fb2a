"""Any timm model as an appearance model, by the names timm users type.

Names:

* ``timm:<arch>`` — the architecture with timm's random initialisation (no tag: nothing to load; the
  card says ``family: random``). timm's own default weights need their tag, e.g.
  ``timm:resnet50.a1_in1k``.
* ``timm:<arch>.<tag>`` — timm's pretrained weights of that tag; never a random fallback: the file is
  found in UniBench's pick-up folder, the Hugging Face cache (``HF_HUB_CACHE`` / ``HF_HOME``) or
  torch hub's cache (``TORCH_HOME``), else downloaded (Hugging Face's progress bar), else the run
  stops with an error naming the Hub repository and the exact paths where a downloaded file is
  picked up. ``UNIBENCH_OFFLINE=1`` or ``HF_HUB_OFFLINE=1`` forbids the download attempt.
* ``hf-hub:<org>/<repo>`` — a model published on the Hub with a timm ``config.json`` (timm's
  convention), resolved the same way.

The network is built by timm without weights, and weights are read by UniBench (safetensors or
``torch.load(weights_only=True)``), passed through the architecture's own timm
``checkpoint_filter_fn`` (CLIP's ``visual.*`` tower, DINOv2's ``register_tokens``/``mask_token``,
ConvNeXt's original keys) after the wrapper prefix that fits best (``teacher.backbone.``,
``module.``, …), and loaded with the same strict report as every other checkpoint; ``--checkpoint``
works on top of any name.

Features come from timm's ``forward_intermediates`` (``intermediates_only``, ``stop_early``):

* transformers (``patch_embed`` + ``blocks``): taps ``block0`` … ``block<depth-1>`` (block outputs)
  and ``norm`` (the last block after the final norm, the default); prefix tokens (class, registers)
  are dropped and the patch tokens form a map whose declared stride is the patch size; frames of any
  size are padded to the patch and the position embeddings interpolated (``dynamic_img_size``,
  ``dynamic_img_pad``);
* convolutional networks: built with ``output_stride`` (default 8, dilating the last stages; a card's
  ``arch_kwargs.output_stride`` asks for another, ``null`` for the native strides); taps are the
  ``feature_info`` modules (``layer3``, ``stages_2``) with the strides timm reports; the default tap
  is the second-to-last (``layer3`` of a ResNet, as UniTrack). These are the tensors
  ``features_only=True`` returns (tested), but the network keeps its own parameter names, so a
  released checkpoint maps onto it unchanged.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch
from unibench.appearance_models._base import AppearanceModel, PretrainedCfg, register_arch
from unibench.appearance_models._checkpoint import apply_state_dict, read_state_dict
from unibench.appearance_models._key_layouts import TIMM_PREFIXES as PREFIXES
from unibench.appearance_models._weights import (
    OFFLINE_ENV,
    cache_root,
    download,
    offline,
    torch_hub_path,
    verify,
)

from unibench.datatypes import TapInfo
from unibench.errors import CheckpointError, UniBenchError

logger = logging.getLogger(__name__)

WEIGHT_FILES = (
    "model.safetensors",
    "pytorch_model.bin",
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.bin",
)
# keys of a checkpoint that are not part of the feature network and are dropped on purpose when the
# network has no such parameter: classifier heads, MAE's decoder, DINO/iBOT projection heads
TIMM_DROPPED = ("head.", "fc.", "decoder", "mask_token", "dino_head.", "ibot_head.", "fc_norm.")
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, read at call time (``HF_HUB_CACHE``, else ``HF_HOME/hub``)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface"
    )
    return Path(home) / "hub"


def pickup_dir(key: str) -> Path:
    """UniBench's pick-up folder for a timm/hf-hub model's files (a manual download goes here)."""

    return cache_root() / "timm" / key.replace("/", "--")


# --------------------------------------------------------------------------------------- names
@dataclass(frozen=True)
class TimmName:
    """A parsed ``timm:`` / ``hf-hub:`` model name."""

    source: str  # "timm" | "hf-hub"
    arch: str | None  # the timm architecture (hf-hub: read from its config.json)
    tag: str | None
    repo: str | None = None  # the Hub repository of an hf-hub name

    @property
    def key(self) -> str:
        return self.repo if self.source == "hf-hub" else f"{self.arch}.{self.tag}"


def _closest(word: str, options: list[str], n: int = 3) -> str:
    close = difflib.get_close_matches(word, options, n=n, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def parse_model_name(model: str) -> TimmName:
    """Parse and check a ``timm:`` or ``hf-hub:`` name without touching the network."""
    import timm

    if model.startswith("hf-hub:"):
        repo = model[len("hf-hub:") :]
        if not _REPO.match(repo):
            raise UniBenchError(
                f"{model!r}: expected hf-hub:<org>/<repo> (timm's convention, e.g. "
                "hf-hub:timm/vit_small_patch14_dinov2.lvd142m)"
            )
        return TimmName("hf-hub", None, None, repo)
    if not model.startswith("timm:"):
        raise UniBenchError(f"{model!r} is not a timm: or hf-hub: name")
    arch, _, tag = model[len("timm:") :].partition(".")
    if not arch or not timm.is_model(arch):
        raise UniBenchError(
            f"{model!r}: timm has no architecture {arch!r}" + _closest(arch, timm.list_models())
        )
    if not tag:
        return TimmName("timm", arch, None)
    tags = [n.split(".", 1)[1] for n in timm.list_pretrained(f"{arch}.*")]
    if tag not in tags:
        shown = ", ".join(tags[:20]) + (f", … ({len(tags)} in all)" if len(tags) > 20 else "")
        raise UniBenchError(
            f"{model!r}: timm has no pretrained tag {tag!r} for {arch}"
            + (f"; its tags: {shown}" if tags else " (it has no pretrained weights)")
            + _closest(tag, tags)
        )
    return TimmName("timm", arch, tag)


# --------------------------------------------------------------------------------------- files
def _hf_cached(repo: str, filename: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    repo_id, _, revision = repo.partition("@")
    hit = try_to_load_from_cache(
        repo_id, filename, cache_dir=str(hf_cache_dir()), revision=revision or None
    )
    return Path(hit) if isinstance(hit, str) and Path(hit).is_file() else None


def _where(repo: str | None, key: str, url: str | None) -> str:
    parts = [f"put the file in {pickup_dir(key)}/"]
    if repo:
        repo_id = repo.partition("@")[0]
        parts.append(
            f"or let huggingface_hub cache it under {hf_cache_dir()}/models--"
            f"{repo_id.replace('/', '--')}/ (https://huggingface.co/{repo_id})"
        )
    if url:
        parts.append(f"or in torch hub's {torch.hub.get_dir()}/checkpoints/ (from {url})")
    return "; ".join(parts)


def find_file(repo: str | None, key: str, url: str | None, filenames: Sequence[str]) -> Path | None:
    """A local copy: the pick-up folder, the Hugging Face cache, torch hub's cache."""
    for f in filenames:
        p = pickup_dir(key) / f
        if p.is_file():
            return p
    if url:
        p = pickup_dir(key) / url.rstrip("/").split("/")[-1].split("?")[0]
        if p.is_file():
            return p
    if repo:
        for f in filenames:
            hit = _hf_cached(repo, f)
            if hit is not None:
                return hit
    if url:
        p = torch_hub_path(url)
        if p.is_file():
            return p
    return None


def _no_timm_config(repo: str) -> str:
    """Where the Hugging Face cache holds files of ``repo`` but no ``config.json``: say so (the
    repository is then not a timm model, and no download would find one)."""
    repo_id = repo.partition("@")[0]
    snaps = hf_cache_dir() / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    files = {p.name for p in snaps.glob("*/*")} if snaps.is_dir() else set()
    if files and "config.json" not in files:
        return (
            f" The cached copy of {repo_id} holds {', '.join(sorted(files)[:4])} but no timm "
            "config.json: it is not a timm model repository (hf-hub: names need one)."
        )
    return ""


def _source_hosts(repo: str | None, url: str | None) -> list[str]:
    hosts = []
    if repo:
        hosts.append(urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").hostname)
    if url:
        hosts.append(urlparse(url).hostname)
    return [h for h in hosts if h]


def _reachable(host: str, timeout: float = 4.0) -> bool:
    """Whether ``host`` answers on 443 within ``timeout`` seconds (name lookup included)."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def obtain(
    what: str, repo: str | None, key: str, url: str | None, filenames: Sequence[str]
) -> Path:
    """A local file of ``what``: found, or downloaded into the shared cache; never a fallback."""
    found = find_file(repo, key, url, filenames)
    if found is not None:
        return found
    where = _where(repo, key, url)
    if offline():
        raise CheckpointError(
            f"{what}: not in any local cache and downloads are off ({'/'.join(OFFLINE_ENV)}); "
            f"{where}. Refusing to run it untrained."
        )
    hosts = _source_hosts(repo, url)
    if hosts and not any(_reachable(h) for h in hosts):
        # huggingface_hub retries for minutes before failing: fail within seconds instead
        raise CheckpointError(
            f"{what}: not in any local cache and {', '.join(hosts)} cannot be reached (no "
            f"network?); {where}. Set UNIBENCH_OFFLINE=1 to skip the network. Refusing to run "
            "it untrained."
        )
    errors = []
    if repo:
        from huggingface_hub import hf_hub_download

        repo_id, _, revision = repo.partition("@")
        for f in filenames:
            try:
                return Path(
                    hf_hub_download(
                        repo_id, f, revision=revision or None, cache_dir=str(hf_cache_dir())
                    )
                )
            except Exception as exc:  # noqa: BLE001 — offline, missing file, auth: try the next
                errors.append(f"{f}: {type(exc).__name__}")
    if url:
        try:
            return download(url, torch_hub_path(url))
        except CheckpointError as exc:
            errors.append(str(exc))
    raise CheckpointError(
        f"{what}: cannot download ({'; '.join(errors) or 'no source'}); {where}. "
        "Refusing to run it untrained."
    )


# --------------------------------------------------------------------------------------- model
VIT_MODULES = {"vision_transformer", "eva", "vision_transformer_relpos", "deit", "beit"}


def _is_transformer(arch: str) -> bool:
    from timm.models import _registry

    return _registry._model_to_module.get(arch) in VIT_MODULES


class TimmModel(AppearanceModel):
    """A timm network read through ``forward_intermediates`` (see the module docstring)."""

    def __init__(
        self,
        name: str,
        tag: str | None = None,
        hub: str | None = None,
        output_stride: int | None = 8,
    ) -> None:
        super().__init__()
        import timm

        self.spec = TimmName("hf-hub" if hub else "timm", name, tag, hub)
        kwargs: dict = {}
        arch = name
        if hub:
            from timm.models._hub import load_model_config_from_path

            try:
                cfg_file = obtain(f"hf-hub:{hub} config", hub, hub, None, ("config.json",))
            except CheckpointError as exc:
                raise CheckpointError(f"{exc}{_no_timm_config(hub)}") from None
            pretrained_cfg, arch, model_args = load_model_config_from_path(cfg_file.parent)
            kwargs.update(model_args or {}, pretrained_cfg=pretrained_cfg)
        full = f"{arch}.{tag}" if tag else arch
        self.transformer = _is_transformer(arch)
        if self.transformer:
            kwargs.update(dynamic_img_size=True, dynamic_img_pad=True)
        elif output_stride is not None:
            kwargs["output_stride"] = output_stride
        try:
            self.net = timm.create_model(full, pretrained=False, **kwargs)
        except (RuntimeError, ValueError, TypeError, AssertionError) as exc:
            raise UniBenchError(
                f"timm model {full!r} cannot be built with {kwargs}: {exc}"
            ) from exc
        self.arch = arch
        self.pretrained_cfg = dict(getattr(self.net, "pretrained_cfg", {}) or {})
        if self.transformer:
            ps = tuple(self.net.patch_embed.patch_size)
            if ps[0] != ps[1]:
                raise UniBenchError(f"{full}: non-square patches {ps} give no single stride")
            dim = int(self.net.embed_dim)
            self.depth = len(self.net.blocks)
            self._names = [f"block{i}" for i in range(self.depth)] + ["norm"]
            self._info = {n: TapInfo(dim, ps[0]) for n in self._names}
            self.default_tap = "norm"
        else:
            fi = self.net.feature_info
            fi = fi.get_dicts() if hasattr(fi, "get_dicts") else list(fi)
            self._names = [d["module"].replace(".", "_") for d in fi]
            self._info = {
                n: TapInfo(int(d["num_chs"]), int(d["reduction"]))
                for n, d in zip(self._names, fi, strict=True)
            }
            self.default_tap = self._names[-2] if len(self._names) > 1 else self._names[-1]
        # timm keeps a list under the contract's method name on some models: ours counts
        self.__dict__.pop("feature_info", None)

    def feature_info(self) -> dict[str, TapInfo]:
        return dict(self._info)

    def forward(self, x: torch.Tensor, taps: Sequence[str]) -> dict[str, torch.Tensor]:
        unknown = set(taps) - set(self._names)
        if unknown:
            raise KeyError(f"unknown taps {sorted(unknown)}; taps: {self._names}")
        out: dict[str, torch.Tensor] = {}
        plain = sorted({self._names.index(t) for t in taps if t != "norm"})
        if plain:
            feats = self.net.forward_intermediates(
                x, indices=plain, stop_early=True, intermediates_only=True, **self._fmt()
            )
            out.update({self._names[i]: f for i, f in zip(plain, feats, strict=True)})
        if "norm" in taps:
            (f,) = self.net.forward_intermediates(
                x,
                indices=[self.depth - 1],
                norm=True,
                stop_early=True,
                intermediates_only=True,
                **self._fmt(),
            )
            out["norm"] = f
        return out

    def _fmt(self) -> dict:
        return {"output_fmt": "NCHW"} if self.transformer else {}


class TimmLayout:
    """``checkpoint_filter_fn`` for timm networks: the best wrapper prefix, then the
    architecture's own timm filter, then heads/decoders the network lacks dropped on purpose."""

    name = "timm"
    notes = "timm network: wrapper prefix, then timm's checkpoint_filter_fn of the architecture"

    def filter(
        self, state: dict[str, torch.Tensor], model: torch.nn.Module
    ) -> tuple[dict[str, torch.Tensor], str, list[str]]:
        net = getattr(model, "net", model)
        target = set(net.state_dict())
        fn = getattr(sys.modules.get(type(net).__module__), "checkpoint_filter_fn", None)
        best = None
        for p in PREFIXES:
            sub = {k[len(p) :]: v for k, v in state.items() if k.startswith(p)}
            if not sub:
                continue
            try:
                conv = fn(dict(sub), net) if fn else sub
            except Exception:  # noqa: BLE001 — a prefix that does not fit the filter
                continue
            hits = len(set(conv) & target)
            if best is None or hits > best[0]:
                best = (hits, p, conv)
        if best is None:
            return {}, "", sorted(state)
        _, prefix, conv = best
        dropped = [k for k in state if not k.startswith(prefix)]
        out = {}
        for k, v in conv.items():
            if k not in target and k.startswith(TIMM_DROPPED):
                dropped.append(prefix + k)
            else:
                out["net." + k if model is not net else k] = v
        return out, prefix, sorted(dropped)


TIMM_LAYOUT = TimmLayout()


@register_arch("timm", TimmModel)
def timm_model(
    name: str, tag: str | None = None, hub: str | None = None, output_stride: int | None = 8
) -> TimmModel:
    return TimmModel(name, tag, hub, output_stride)


def weight_file(model: TimmModel, cfg: PretrainedCfg) -> Path:
    """The local weight file of a tagged timm / hf-hub model (found or downloaded)."""
    spec = model.spec
    if untagged(model):
        raise CheckpointError(f"{cfg.name}: no tag, so no weights (timm's random initialisation)")
    pc = model.pretrained_cfg
    repo = spec.repo or pc.get("hf_hub_id") or None
    url = pc.get("url") or None
    names = (pc["hf_hub_filename"],) if pc.get("hf_hub_filename") else WEIGHT_FILES
    return obtain(cfg.name, repo, spec.key, url, names)


def untagged(model: TimmModel) -> bool:
    """A ``timm:<arch>`` name without a tag: timm's random initialisation, nothing to load."""
    return model.spec.source == "timm" and not model.spec.tag


def load_timm_weights(
    model: TimmModel,
    cfg: PretrainedCfg,
    allow_partial: bool,
    allow_nonfinite: bool,
    path: Path | None = None,
):
    """The pretrained weights of a tagged timm / hf-hub card, strictly loaded (None: untagged)."""

    if untagged(model):
        logger.warning(
            "%s: timm's random initialisation (no tag given): the row is labelled 'random init'",
            cfg.name,
        )
        return None
    path = path or weight_file(model, cfg)
    verify(path, cfg.sha256)
    return apply_state_dict(
        model, read_state_dict(path), str(path), TIMM_LAYOUT.filter, allow_partial, allow_nonfinite
    )


def timm_card(model: str) -> PretrainedCfg:
    """A card built on demand for a ``timm:`` or ``hf-hub:`` name (preprocessing from timm's
    pretrained config of the tag, or of the Hub config where it is already cached)."""
    import timm

    spec = parse_model_name(model)
    kwargs = {"name": spec.arch, "tag": spec.tag, "hub": spec.repo}
    if spec.source == "hf-hub":
        cfg_file = find_file(spec.repo, spec.key, None, ("config.json",))
        pc = {}
        if cfg_file is not None:
            raw = json.loads(cfg_file.read_text())
            pc = raw.get("pretrained_cfg", raw)
        family, data, notes = "external (hf-hub)", "see the Hub model card", f"hf-hub:{spec.repo}"
    else:
        pc = timm.get_pretrained_cfg(f"{spec.arch}.{spec.tag}" if spec.tag else spec.arch)
        pc = pc.to_dict() if hasattr(pc, "to_dict") else dict(vars(pc)) if pc else {}
        if spec.tag:
            family, data = "external (timm)", f"timm tag {spec.tag}"
            notes = f"timm weights {spec.arch}.{spec.tag} ({pc.get('hf_hub_id') or pc.get('url')})"
        else:
            family, data = "random", "none"
            default = timm.list_pretrained(f"{spec.arch}.*")
            notes = "timm's random initialisation" + (
                f"; timm's default weights: timm:{default[0]}" if default else ""
            )
    return PretrainedCfg(
        name=model,
        arch="timm",
        mean=tuple(pc.get("mean") or (0.485, 0.456, 0.406)),
        std=tuple(pc.get("std") or (0.229, 0.224, 0.225)),
        family=family,
        training_data=data,
        layout="timm",
        arch_kwargs=kwargs,
        notes=notes,
        source=spec.source,
    )
