"""Video AP/AR (ytvoseval's definition on pycocotools) and HOTA (TrackEval YouTubeVIS).

Hand-computed cases, equality with pycocotools' image AP on one-frame videos, and TrackEval's own
evaluator run from disk on the same files as the oracle of the HOTA bridge."""

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from unibench.benchmarks.formats.rle import uncompressed_rle
from unibench.benchmarks.scorers import vis as vm

H, W = 8, 12
COCO_AREA_RNG = [[0, 1e5**2], [0, 32**2], [32**2, 96**2], [96**2, 1e5**2]]


def rect(x0, x1, y0=0, y1=4):
    m = np.zeros((H, W), np.uint8)
    m[y0:y1, x0:x1] = 1
    return mask_utils.encode(np.asfortranarray(m))


def track(vid, cat, frames, score=1.0, iscrowd=0):
    return vm.VideoTrack(vid, cat, tuple(frames), score, iscrowd)


def test_video_iou_sums_intersections_and_unions_over_frames():
    a = [rect(0, 4), rect(0, 4), None]  # 16, 16, absent
    b = [rect(2, 6), None, rect(0, 4)]  # overlaps 8 of 24 in frame 0; alone in frames 1, 2
    # intersection 8; union 24 + 16 (a alone) + 16 (b alone)
    assert vm.video_iou(a, b) == pytest.approx(8 / 56)
    assert vm.video_iou([None, None], [None, None]) == 0.0
    assert vm.avg_area([rect(0, 4), None, rect(0, 2)]) == pytest.approx((16 + 8) / 2)
    empty = mask_utils.encode(np.zeros((H, W), np.uint8, order="F"))
    assert vm.avg_area([empty, rect(0, 1)]) == 4.0  # zero areas are left out, as avg_area does


def test_hand_case_two_categories_and_a_track_missing_a_frame():
    full = [rect(0, 4)] * 3
    gt = [track(1, 1, full), track(1, 2, [rect(6, 10)] * 3)]
    dt = [
        # category 1: right masks in frames 0 and 1, missing in frame 2: IoU = 32 / 48 = 0.667,
        # a true positive at IoU thresholds .50 .55 .60 .65 only -> AP 4/10
        track(1, 1, [rect(0, 4), rect(0, 4), None], 0.9),
        # category 2: exact (TP at every threshold) ranked before a disjoint false positive -> AP 1
        track(1, 2, [rect(6, 10)] * 3, 0.8),
        track(1, 2, [None, rect(10, 12), None], 0.7),
    ]
    s, _ = vm.video_ap(gt, dt, [1], [1, 2])
    assert s["AP"] == pytest.approx((0.4 + 1.0) / 2)
    assert s["AP50"] == pytest.approx(1.0)
    assert s["AP75"] == pytest.approx((0.0 + 1.0) / 2)
    assert s["AR1"] == pytest.approx(0.7) and s["AR10"] == pytest.approx(0.7)
    assert s["APs"] == pytest.approx(s["AP"])  # every track is small (< 128²)
    assert np.isnan(s["APm"]) and np.isnan(s["APl"])  # no ground truth there: NaN, not 0


def test_crowd_ground_truth_is_ignored_and_an_unmatched_category_scores_zero():
    gt = [track(1, 1, [rect(0, 4)] * 2), track(1, 1, [rect(6, 12)] * 2, iscrowd=1)]
    dt = [track(1, 1, [rect(6, 12)] * 2, 0.9), track(1, 1, [rect(0, 4)] * 2, 0.5)]
    s, _ = vm.video_ap(gt, dt, [1], [1])
    # the detection on the crowd track is ignored (not a FP): AP 1
    assert s["AP"] == pytest.approx(1.0)
    s, _ = vm.video_ap([track(1, 1, [rect(0, 4)])], [track(1, 2, [rect(0, 4)], 0.9)], [1], [1, 2])
    assert s["AP"] == pytest.approx(0.0)  # right mask, wrong category


def _random_case(seed: int):
    rng = np.random.default_rng(seed)
    gts, dts = [], []
    for _ in range(int(rng.integers(2, 6))):
        x, y = rng.integers(0, 60, 2)
        w, h = rng.integers(5, 40, 2)
        gts.append(((x, y, w, h), int(rng.integers(1, 3))))
    for g, c in gts:
        if rng.random() < 0.8:
            j = rng.integers(-6, 7, 4)
            dts.append(((g[0] + j[0], g[1] + j[1], g[2] + j[2], g[3] + j[3]), c, rng.random()))
    for _ in range(int(rng.integers(0, 3))):
        x, y = rng.integers(0, 60, 2)
        dts.append(((x, y, 15, 15), int(rng.integers(1, 3)), rng.random()))
    return gts, dts


def _mask(box, h=100, w=100):
    m = np.zeros((h, w), np.uint8)
    x, y, bw, bh = (int(v) for v in box)
    m[max(y, 0) : max(y + bh, 0), max(x, 0) : max(x + bw, 0)] = 1
    return mask_utils.encode(np.asfortranarray(m))


@pytest.mark.parametrize("seed", range(6))
def test_one_frame_videos_equal_pycocotools_image_ap(seed):
    """On one-frame videos the video IoU is the mask IoU and the track area the mask area: every
    figure equals pycocotools' image segm evaluation (with the same area ranges)."""
    images = [1, 2]
    gt_anns, dt_anns, gt_tr, dt_tr = [], [], [], []
    for img in images:
        gts, dts = _random_case(seed * 10 + img)
        for g, c in gts:
            r = _mask(g)
            area = float(mask_utils.area(r))
            gt_anns.append(
                {
                    "id": len(gt_anns) + 1,
                    "image_id": img,
                    "category_id": c,
                    "segmentation": r,
                    "area": area,
                    "iscrowd": 0,
                    "bbox": list(mask_utils.toBbox(r)),
                }
            )
            gt_tr.append(track(img, c, [r]))
        for d, c, s in dts:
            r = _mask(d)
            dt_anns.append(
                {
                    "id": len(dt_anns) + 1,
                    "image_id": img,
                    "category_id": c,
                    "segmentation": r,
                    "area": float(mask_utils.area(r)),
                    "score": s,
                    "iscrowd": 0,
                    "bbox": list(mask_utils.toBbox(r)),
                }
            )
            dt_tr.append(track(img, c, [r], s))
    cats = [{"id": 1}, {"id": 2}]
    cg, cd = COCO(), COCO()
    cg.dataset = {
        "images": [{"id": i, "height": 100, "width": 100} for i in images],
        "categories": cats,
        "annotations": gt_anns,
    }
    cd.dataset = {"images": cg.dataset["images"], "categories": cats, "annotations": dt_anns}
    cg.createIndex()
    cd.createIndex()
    E = COCOeval(cg, cd, "segm")
    E.evaluate()
    E.accumulate()
    E.summarize()
    ours, _ = vm.video_ap(gt_tr, dt_tr, images, [1, 2], area_rng=COCO_AREA_RNG)
    ref = [np.nan if v < 0 else v for v in E.stats]
    np.testing.assert_allclose([ours[k] for k in vm.SUMMARY], ref, atol=1e-12)


def _gt_json(anns):
    return {
        "videos": [
            {
                "id": 1,
                "height": H,
                "width": W,
                "length": 3,
                "file_names": [f"v1/{5 * t:05d}.jpg" for t in range(3)],
            }
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "annotations": anns,
    }


def _dense(rle):
    return mask_utils.decode(rle).astype(bool)


def test_hota_bridge_equals_trackeval_run_from_disk(tmp_path):
    """TrackEval's own Evaluator on files in its YouTube-VIS layout is the oracle."""
    import trackeval

    gt_masks = {1: [rect(0, 4), rect(1, 5), rect(2, 6)], 2: [rect(7, 11), None, rect(7, 11)]}
    anns = [
        {
            "id": k,
            "video_id": 1,
            "category_id": k,
            "iscrowd": 0,
            "height": H,
            "width": W,
            "segmentations": [None if m is None else uncompressed_rle(_dense(m)) for m in ms],
            "areas": [None if m is None else int(mask_utils.area(m)) for m in ms],
        }
        for k, ms in gt_masks.items()
    ]

    def enc(m):
        return None if m is None else {"size": [H, W], "counts": m["counts"].decode()}

    results = [
        {
            "video_id": 1,
            "category_id": 1,
            "score": 0.9,
            "segmentations": [enc(rect(0, 4)), enc(rect(1, 5)), None],
        },
        {
            "video_id": 1,
            "category_id": 1,
            "score": 0.6,
            "segmentations": [None, None, enc(rect(2, 6))],
        },  # an identity switch
        {
            "video_id": 1,
            "category_id": 2,
            "score": 0.8,
            "segmentations": [enc(rect(7, 10)), enc(rect(7, 10)), enc(rect(7, 11))],
        },
    ]
    gt = _gt_json(anns)
    ours, per = vm.trackeval_hota(gt, results, ["v1"])

    (tmp_path / "gt" / "youtube_vis_valid").mkdir(parents=True)
    (tmp_path / "gt" / "youtube_vis_valid" / "gt.json").write_text(json.dumps(gt))
    trk = tmp_path / "trk" / "youtube_vis_valid" / "ub" / "data"
    trk.mkdir(parents=True)
    (trk / "results.json").write_text(json.dumps(results))
    ev = trackeval.Evaluator(
        {
            "USE_PARALLEL": False,
            "PRINT_RESULTS": False,
            "PRINT_CONFIG": False,
            "OUTPUT_SUMMARY": False,
            "OUTPUT_DETAILED": False,
            "PLOT_CURVES": False,
            "TIME_PROGRESS": False,
            "OUTPUT_EMPTY_CLASSES": False,
        }
    )
    ds = trackeval.datasets.YouTubeVIS(
        {
            "GT_FOLDER": str(tmp_path / "gt") + "/",
            "TRACKERS_FOLDER": str(tmp_path / "trk") + "/",
            "OUTPUT_FOLDER": str(tmp_path / "out"),
            "SPLIT_TO_EVAL": "valid",
            "PRINT_CONFIG": False,
        }
    )
    res, _ = ev.evaluate([ds], [trackeval.metrics.HOTA({"PRINT_CONFIG": False})])
    ref = res["YouTubeVIS"]["ub"]["COMBINED_SEQ"]["cls_comb_cls_av"]["HOTA"]
    for k in ("HOTA", "DetA", "AssA"):
        assert ours[k] == pytest.approx(float(np.mean(ref[k])), abs=1e-12)
    assert 0 < ours["HOTA"] < 1 and ours["AssA"] < 1  # the switch costs association
    assert per["v1"]["HOTA"] == pytest.approx(ours["HOTA"])  # one video, both classes present


def _poly(x0, x1, y0=0, y1=4):
    """A rectangle as a COCO polygon whose rasterisation equals ``rect(x0, x1, y0, y1)``."""
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def test_hota_reads_every_segmentation_form_the_ap_code_reads():
    """Ground truth as polygons or compressed RLE crashed TrackEval's preparation (it reads only
    uncompressed RLE), and results as uncompressed RLE crashed its area step; every form is now
    converted first, and each gives the HOTA of the uncompressed-RLE ground truth (itself equal to
    TrackEval's Evaluator from disk, test above)."""
    boxes = {1: [(0, 4), (1, 5), (2, 6)], 2: [(7, 11), None, (7, 11)]}

    def gt_with(form):
        anns = []
        for k, bs in boxes.items():
            segs = []
            for b in bs:
                if b is None:
                    segs.append(None)
                elif form == "uncompressed":
                    segs.append(uncompressed_rle(_dense(rect(*b))))
                elif form == "compressed":
                    r = rect(*b)
                    segs.append({"size": [H, W], "counts": r["counts"].decode()})
                else:
                    segs.append(_poly(*b))
            anns.append({"id": k, "video_id": 1, "category_id": k, "iscrowd": 0,
                         "segmentations": segs})  # fmt: skip
        return _gt_json(anns)

    def results_with(form):
        def enc(b):
            if b is None:
                return None
            if form == "uncompressed":
                return uncompressed_rle(_dense(rect(*b)))
            if form == "polygon":
                return _poly(*b)
            return {"size": [H, W], "counts": rect(*b)["counts"].decode()}

        return [
            {"video_id": 1, "category_id": 1, "score": 0.9,
             "segmentations": [enc((0, 4)), enc((1, 5)), None]},
            {"video_id": 1, "category_id": 1, "score": 0.6,
             "segmentations": [None, None, enc((2, 6))]},
            {"video_id": 1, "category_id": 2, "score": 0.8,
             "segmentations": [enc((7, 10)), enc((7, 10)), enc((7, 11))]},
        ]  # fmt: skip

    for b in (0, 4), (7, 11):  # the polygon rasterises to the same mask
        assert (_dense(vm.to_rle(_poly(*b), H, W)) == _dense(rect(*b))).all()
    ref, _ = vm.trackeval_hota(gt_with("uncompressed"), results_with("compressed"), ["v1"])
    assert 0 < ref["HOTA"] < 1
    for gform in ("uncompressed", "compressed", "polygon"):
        for rform in ("compressed", "uncompressed", "polygon"):
            got, per = vm.trackeval_hota(gt_with(gform), results_with(rform), ["v1"])
            for k in ("HOTA", "DetA", "AssA"):
                assert got[k] == pytest.approx(ref[k], abs=1e-12), (gform, rform, k)
    # the caller's objects are left as they were
    g = gt_with("compressed")
    vm.trackeval_hota(g, results_with("uncompressed"), ["v1"])
    assert isinstance(g["annotations"][0]["segmentations"][0]["counts"], str)
