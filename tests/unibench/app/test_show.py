"""``unibench show``: a run's predictions drawn over its frames, read back through the benchmark's
own reader; every task's overlay on the embedded suite, a video decoded back, two models side by
side, the worst sequences, and each bad input one line with nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import yaml
from unibench.reports import draw
from unibench.reports.video import read_video

from unibench.app.cli import main

TASKS = ("vos", "sot", "mot", "mots", "posetrack", "poseprop", "vis")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("show")


@pytest.fixture(scope="module")
def runs(store) -> dict[str, Path]:
    """One run folder per task: pixels on the task's embedded suite (and random ResNet-18 on
    VOS, the second model of the comparison), in the result store ``store``."""
    out = store
    folders = {}
    for task in TASKS:
        assert main(["run", "--model", "pixels", "--task", task, "--output", str(out),
                     "--no-progress"]) == 0  # fmt: skip
    assert main(["run", "--model", "resnet18", "--task", "vos", "--output", str(out),
                 "--no-progress"]) == 0  # fmt: skip
    for cfg in (out / "runs").rglob("config.yaml"):
        raw = yaml.safe_load(cfg.read_text())
        key = raw["config"]["task"] + ("" if raw["config"]["model"]["name"] == "pixels" else "-r18")
        folders[key] = cfg.parent
    return folders


def _first(run: Path) -> str:
    return yaml.safe_load((run / "config.yaml").read_text())["identity"]["sequences"][0]


@pytest.mark.parametrize("task", TASKS)
def test_every_task_draws_its_overlay(runs, task, tmp_path, capsys):
    run = runs[task]
    name = _first(run)
    out, sheet = tmp_path / f"{task}.gif", tmp_path / f"{task}.png"
    assert main(["show", str(run), "--sequence", name, "--out", str(out), "--sheet",
                 str(sheet)]) == 0, capsys.readouterr().err  # fmt: skip
    frames = read_video(out)
    assert len(frames) >= 3 and sheet.stat().st_size > 1000
    assert all(f.shape == frames[0].shape for f in frames)
    # the banner names the model and the sequence: the top rows are not the raw frame
    assert frames[0][:12].std() > 10


def test_a_video_decodes_back_with_the_masks_colour(runs, tmp_path, capsys):
    pytest.importorskip("av", reason="extra [video]: .mp4 through PyAV")
    run = runs["vos"]
    name = _first(run)
    out = tmp_path / "v.mp4"
    assert main(["show", str(run), "--sequence", name, "--out", str(out), "--fps", "8"]) == 0
    frames = read_video(out)
    pred = sorted((run / "predictions" / name).glob("*.png"))
    assert len(frames) == len(pred)
    from PIL import Image

    lab = np.asarray(Image.open(pred[3]))
    h, w = lab.shape
    assert frames[3].shape[0] >= h and frames[3].shape[1] >= 2 * w  # prediction | ground truth
    inside = (lab == 1) & ~draw.contours(lab == 1)
    ys, xs = np.nonzero(inside)
    far = ys > 40  # below the banner
    tint = frames[3][ys[far], xs[far]].astype(float).mean(0)
    # object 1's palette colour is (128, 0, 0): its pixels lean red
    assert tint[0] > tint[1] + 20 and tint[0] > tint[2] + 20, tint


def test_two_models_side_by_side(runs, tmp_path, capsys):
    name = _first(runs["vos"])
    one, two = tmp_path / "one.webp", tmp_path / "two.webp"
    assert main(["show", str(runs["vos"]), "--sequence", name, "--out", str(one)]) == 0
    assert main(["show", str(runs["vos"]), "--sequence", name, "--out", str(two),
                 "--compare", str(runs["vos-r18"])]) == 0  # fmt: skip
    a, b = read_video(one), read_video(two)
    assert len(a) == len(b) and b[0].shape[1] > 1.5 * a[0].shape[1]


def test_compare_refuses_runs_of_another_benchmark(runs, tmp_path, capsys):
    rc = main(["show", str(runs["vos"]), "--sequence", _first(runs["vos"]), "--out",
               str(tmp_path / "x.gif"), "--compare", str(runs["sot"])])  # fmt: skip
    err = capsys.readouterr().err
    assert (
        rc == 2 and "differs from" in err and "benchmark (synthetic-otb vs synthetic-davis)" in err
    )
    assert not (tmp_path / "x.gif").exists()


def test_sheet_by_suffix_and_the_quality_knob(runs, tmp_path, capsys):
    """A contact sheet is written as its suffix says (.jpg for pages, .png for papers), its tiles
    about 200 px high whatever the number of panels; --crf trades an .mp4's size for quality."""
    pytest.importorskip("av", reason="extra [video]: .mp4 through PyAV")
    from PIL import Image

    name = _first(runs["vos"])
    sizes = {}
    for crf in (18, 40):
        out, sheet = tmp_path / f"v{crf}.mp4", tmp_path / f"s{crf}.jpg"
        assert (
            main(
                [
                    "show",
                    str(runs["vos"]),
                    "--sequence",
                    name,
                    "--out",
                    str(out),
                    "--sheet",
                    str(sheet),
                    "--crf",
                    str(crf),
                    "--compare",
                    str(runs["vos-r18"]),
                ]
            )
            == 0
        )
        sizes[crf] = out.stat().st_size
        with Image.open(sheet) as im:
            assert im.format == "JPEG"
    assert sizes[18] > sizes[40]
    frame = read_video(tmp_path / "v18.mp4")[0]
    with Image.open(tmp_path / "s18.jpg") as im:  # 3 panels (2 runs + ground truth) side by side
        assert im.width < 4 * frame.shape[1] and im.height >= 200


def test_worst_writes_one_file_per_sequence_lowest_first(runs, tmp_path, capsys):
    out = tmp_path / "worst"
    assert main(["show", str(runs["vos"]), "--worst", "2", "--out", str(out), "--format", "gif",
                 "--sheet"]) == 0  # fmt: skip
    files = sorted(p.name for p in out.iterdir())
    assert len([f for f in files if f.endswith(".gif")]) == 2
    assert len([f for f in files if f.endswith(".png")]) == 2


@pytest.mark.parametrize(
    "args, said",
    [
        (["--sequence", "nope"], "sequence 'nope' is not in the run"),
        (["--sequence", "synth-00", "--out", "{tmp}/x.avi"], "expected a file ending in"),
        (["--sequence", "synth-00"], "nothing to write"),
        (["--sequence", "synth-00", "--sheet", "{tmp}/s.txt"], "--sheet"),
        (["--sequence", "synth-00", "--out", "{tmp}/x.mp4", "--crf", "60"], "--crf"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(runs, tmp_path, capsys, args, said):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args and said != "nothing to write":
        args += ["--out", str(tmp_path / "x.gif")]
    rc = main(["show", str(runs["vos"]), *args])
    err = capsys.readouterr().err
    assert rc == 2 and said in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_not_a_run_no_predictions_existing_output_missing_frame(runs, tmp_path, capsys):
    rc = main(["show", str(tmp_path), "--sequence", "a", "--out", str(tmp_path / "x.gif")])
    assert rc == 2 and "not a run folder" in capsys.readouterr().err
    # an existing output: refused, then replaced with --overwrite (that file only)
    out = tmp_path / "x.gif"
    out.write_bytes(b"mine")
    name = _first(runs["vos"])
    rc = main(["show", str(runs["vos"]), "--sequence", name, "--out", str(out)])
    assert rc == 2 and "exists: pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"mine"
    assert main(["show", str(runs["vos"]), "--sequence", name, "--out", str(out),
                 "--overwrite"]) == 0  # fmt: skip
    assert out.read_bytes()[:3] == b"GIF"
    # a frame missing from the data root: named, nothing written
    import shutil

    data = tmp_path / "data"
    raw = yaml.safe_load((runs["vos"] / "config.yaml").read_text())["config"]["benchmark"]
    src = Path(raw["data_root"]) if raw.get("data_root") else None
    if src is None:
        from unibench.benchmarks.synthetic import ensure_suite

        src = ensure_suite() / "davis2017"
    shutil.copytree(src, data)
    frame = sorted((data / "JPEGImages" / "480p" / name).glob("*.jpg"))[5]
    frame.unlink()
    target = tmp_path / "y.gif"
    rc = main(["show", str(runs["vos"]), "--sequence", name, "--out", str(target),
               "--data-root", str(data)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and frame.name[:-4] in err and not target.exists()


def test_report_videos_and_figures_in_their_sections(runs, store, tmp_path, capsys):
    """``report --videos K``: each run's K worst sequences rendered into the report folder and
    shown in their benchmark's section beside its figures, every link relative and present;
    a second report keeps what was rendered."""
    pytest.importorskip("av", reason="extra [video]: .mp4 through PyAV")
    rep = tmp_path / "report"
    assert main(["report", "--store", str(store), "--out", str(rep), "--videos", "2",
                 "--no-published"]) == 0, capsys.readouterr().err  # fmt: skip
    page = (rep / "leaderboard.html").read_text()
    srcs = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert srcs and all(not s.startswith(("/", "http", "file:")) for s in srcs)
    assert all((rep / unquote(s)).is_file() for s in srcs), [
        s for s in srcs if not (rep / unquote(s)).is_file()
    ]
    assert all(alt.strip() for alt in re.findall(r'<img[^>]* alt="([^"]*)"', page))
    assert len(re.findall(r"<img", page)) == len(re.findall(r'<img[^>]* alt="', page))
    sections = re.split(r"<h2", page)
    vos = next(s for s in sections if "synthetic-davis" in s.split(">")[1])
    assert "sequences_synthetic-davis_val.svg" in vos and ".mp4" in vos
    mot = next(s for s in sections if "synthetic-mot " in s.split("</h2>")[0] + " ")
    assert "hota_synthetic-mot_train.svg" in mot
    indexes = list((rep / "videos").glob("*/index.json"))
    assert len(indexes) == len(runs)  # one per run of the store, its worst two
    for index in indexes:  # the run's two worst (all, where it ran fewer)
        run = next(f for f in runs.values() if f.name.endswith("-" + index.parent.name))
        ran = yaml.safe_load((run / "config.yaml").read_text())["identity"]["sequences"]
        assert len(json.loads(index.read_text())) == min(2, len(ran))
    video = next((rep / "videos").glob("*/*.mp4"))
    assert len(read_video(video)) >= 3
    stamp = {p: p.stat().st_mtime_ns for p in (rep / "videos").rglob("*.mp4")}
    assert main(["report", "--store", str(store), "--out", str(rep), "--videos",
                 "--no-published"]) == 0  # fmt: skip
    assert {p: p.stat().st_mtime_ns for p in (rep / "videos").rglob("*.mp4")} == stamp


def test_report_videos_bad_k(store, tmp_path, capsys):
    assert main(["report", "--store", str(store), "--out", str(tmp_path / "r"),
                 "--videos", "0"]) == 2  # fmt: skip
    assert "--videos" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_rvos_expressions_drawn_with_their_legend(tmp_path, capsys):
    """Ref-YouTube-VOS: each expression's masks (one binary PNG per expression and frame) in
    the colour of its rank, the referred objects' annotations beside them in the same colours,
    the legend naming each colour's expression, J per frame after the object's first frame."""
    from unibench.benchmarks import BENCHMARKS

    import unibench
    from unibench.store import ResultStore

    unibench.evaluate("pixels", benchmarks="synthetic-ref-youtube-vos", sequences=["ytv00"],
                      store=tmp_path / "s")  # fmt: skip
    (rec,) = ResultStore(tmp_path / "s").records()
    bench = BENCHMARKS.get("synthetic-ref-youtube-vos")(None, None, ["ytv00"])
    view = bench.view(Path(rec.predictions), "ytv00")
    exps = bench.referred("ytv00")
    assert [k for k, _ in view.legend] == list(range(1, len(exps) + 1))
    assert view.legend[0][1] == f"0: {exps['0']['exp']}"
    assert view.frames[0].score is None and all(f.score > 0.5 for f in view.frames[1:])
    last = view.frames[-1]
    # the annotation beside: expressions 0 and 1 name object 1, 2 and 3 object 2 (the later wins)
    assert set(np.unique(last.gt_labels)) == {0, 2, 4}
    assert set(np.unique(last.labels)) <= {0, 1, 2, 3, 4} and (last.labels > 0).any()
    run = Path(rec.predictions).parent
    out = tmp_path / "r.gif"
    assert main(["show", str(run), "--sequence", "ytv00", "--out", str(out)]) == 0
    assert len(read_video(out)) == len(view.frames)
    # the legend's swatches at the foot of the prediction panel: the palette colours 1..4 (drawn
    # losslessly here: a GIF's palette and H.264 both move colours)
    frame = draw.render_frame(np.zeros((*last.labels.shape, 3), np.uint8), last, view)
    h = frame.shape[0]
    swatches = frame[h - 120 :, 4:12].reshape(-1, 3).astype(int)
    for k in range(1, len(exps) + 1):
        assert (np.abs(swatches - np.array(draw.label_colour(k))).sum(1) == 0).any(), k


def test_every_registered_benchmark_is_drawn():
    """docs/looking.md says every registered benchmark is drawn: each adapter has its own view."""
    from unibench.benchmarks import BENCHMARKS
    from unibench.benchmarks.base import BenchmarkBase

    undrawn = [n for n, spec in BENCHMARKS.items() if spec.adapter.view is BenchmarkBase.view]
    assert not undrawn, undrawn
