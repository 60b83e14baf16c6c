"""checkpoint eval: manifest parsing and every figure of the report, on tiny generated folders."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from checkpoint.lab import evaluate as ev
from checkpoint.lab.evaluate import (
    LabelledImage, LabelledPlate, ManifestError, evaluate, is_crop_set, load_manifest, select,
)
from checkpoint.read import PlateRead
from models.training.paths import data_root

HEADER = "image,plate,x,y,w,h,region\n"
REAL_CROPS = data_root() / "lprnet-cn-crops"


def read(text: str, conf: float, x1: float = 0, y1: float = 0, x2: float = 10,
         y2: float = 5) -> PlateRead:
    corners = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)
    return PlateRead(text, conf, corners)


class FakeReader:
    """Scripted reads per image. Each generated image carries its number in pixel (0, 0)."""

    def __init__(self, names: list[str], scene: dict[str, list[PlateRead]] | None = None,
                 crops: dict[str, PlateRead | None] | None = None,
                 ms: dict[str, float] | None = None, clock: list[float] | None = None) -> None:
        self.names = names
        self.scene = scene or {}
        self.crops = crops or {}
        self.ms = ms or {}
        self.clock = clock
        self.calls: list[tuple[str, str, str | None]] = []

    def _name(self, image: np.ndarray) -> str:
        return self.names[int(image[0, 0, 0])]

    def _tick(self, name: str) -> None:
        if self.clock is not None:
            self.clock[0] += self.ms.get(name, 0.0) / 1000

    def read(self, image: np.ndarray, region: str | None) -> list[PlateRead]:
        name = self._name(image)
        self.calls.append(("read", name, region))
        self._tick(name)
        return list(self.scene.get(name, []))

    def read_crop(self, crop: np.ndarray, region: str | None) -> PlateRead | None:
        name = self._name(crop)
        self.calls.append(("read_crop", name, region))
        self._tick(name)
        return self.crops.get(name)


def make_set(folder: Path, rows: list[str], size: tuple[int, int] = (200, 400)) -> list[str]:
    """Write one image per distinct name in ``rows`` (pixel (0,0) = index) and the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted({r.split(",", 1)[0] for r in rows})
    for i, name in enumerate(names):
        img = np.full((*size, 3), 128, dtype=np.uint8)
        img[0, 0] = i
        assert cv2.imwrite(str(folder / name), img)
    (folder / "labels.csv").write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return names


# --------------------------------------------------------------------------- manifest


def test_manifest_groups_rows_per_image_sorted(tmp_path):
    (tmp_path / "labels.csv").write_text(HEADER + "\n".join([
        "b.png,AB 123,10,20,30,40,eu",
        "a.png,,,,,,",
        "b.png,CD456,100,20,30.5,40,eu",
        "c.png,京A12345,,,,,cn",
        "d.png,,5,6,7,8,ro",
        "",
    ]) + "\n", encoding="utf-8")
    items = load_manifest(tmp_path)
    assert [i.image for i in items] == ["a.png", "b.png", "c.png", "d.png"]
    assert items[0] == LabelledImage("a.png", (), None)
    assert items[1] == LabelledImage("b.png", (LabelledPlate("AB 123", (10, 20, 30, 40)),
                                               LabelledPlate("CD456", (100, 20, 30.5, 40))), "eu")
    assert items[2] == LabelledImage("c.png", (LabelledPlate("京A12345", None),), "cn")
    assert items[3] == LabelledImage("d.png", (LabelledPlate(None, (5, 6, 7, 8)),), "ro")


@pytest.mark.parametrize("rows, line, words", [
    (["a.png,AB123,1,2,3,4,eu", "b.png,AB123,1,2,3,eu"], 3, "6 fields"),
    (["a.png,AB123,1,2,x,4,eu"], 2, "w is not a number"),
    (["a.png,AB123,1,2,,4,eu"], 2, "all of x,y,w,h"),
    (["a.png,AB123,1,2,0,4,eu"], 2, "positive"),
    (["a.png,AB123,,,,,eu", "b.png,AB123,,,,,xx"], 3, "unknown region"),
    ([",AB123,,,,,eu"], 2, "empty image name"),
    (["../a.png,AB123,,,,,eu"], 2, "file name"),
    (["a.png,AB123,,,,,eu", "a.png,CD123,,,,,us"], 3, "region"),
    (["a.png,,,,,,", "a.png,CD123,1,2,3,4,"], 3, "no plate"),
    (["a.png,AB123,1,2,3,4,eu", "", "a.png,,,,,,eu"], 4, "has plates"),
    (['a.png,"AB123,1,2,3,4,eu'], 2, ""),
])
def test_manifest_errors_name_file_and_line(tmp_path, rows, line, words):
    (tmp_path / "labels.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ManifestError) as err:
        load_manifest(tmp_path)
    assert f"labels.csv:{line}:" in str(err.value)
    assert words in str(err.value)


def test_manifest_missing_or_bad_header(tmp_path):
    with pytest.raises(ManifestError, match="labels.csv: cannot open"):
        load_manifest(tmp_path)
    (tmp_path / "labels.csv").write_text("image,plate,x,y,w,h\na.png,AB123,1,2,3,4\n")
    with pytest.raises(ManifestError, match=r"labels.csv:1: header lacks region"):
        load_manifest(tmp_path)
    (tmp_path / "labels.csv").write_text("")
    with pytest.raises(ManifestError, match="empty file"):
        load_manifest(tmp_path)


def test_manifest_error_is_a_value_error():
    assert issubclass(ManifestError, ValueError)


# --------------------------------------------------------------------------- crop sets


def crop_set(tmp_path):
    names = make_set(tmp_path / "crops", [
        "c0.png,AB123,,,,,eu",
        "c1.png,CD-456,,,,,eu",     # label with a separator: compared after normalise
        "c2.png,XY999,,,,,eu",
        "c3.png,KA482BC,,,,,us",
    ], size=(24, 94))
    reader = FakeReader(names, crops={
        "c0.png": read("AB128", 0.9),      # one substitution 3→8: 0.8 of the characters
        "c1.png": read("CD456", 0.8),      # exact
        "c2.png": None,                    # missed: 0
        "c3.png": read("KA48BC", 0.7),     # one deletion 2→∅: 1 - 1/7
    })
    return tmp_path / "crops", reader


def test_crop_set_uses_read_crop_and_scores_exactly(tmp_path):
    folder, reader = crop_set(tmp_path)
    report = evaluate(folder, reader, progress=False)
    assert [c[0] for c in reader.calls] == ["read_crop"] * 4
    assert [c[2] for c in reader.calls] == ["eu", "eu", "eu", "us"]
    assert report.mode == "crop"
    assert report.images == 4
    assert report.overall.plates == 4
    assert report.plate_accuracy == pytest.approx(1 / 4)
    assert report.char_accuracy == pytest.approx((0.8 + 1.0 + 0.0 + (1 - 1 / 7)) / 4)
    assert report.misses == 1
    assert report.detection_recall is None
    assert report.false_plates_per_image is None and report.overall.false_plates is None
    assert report.overall.not_found is None and report.overall.misread is None
    assert report.confusions == [("2", "∅", 1), ("3", "8", 1)]
    assert [(p.image, p.label, p.read) for p in report.errors] == [
        ("c0.png", "AB123", "AB128"), ("c2.png", "XY999", None), ("c3.png", "KA482BC", "KA48BC")]


def test_crop_set_by_region(tmp_path):
    folder, reader = crop_set(tmp_path)
    report = evaluate(folder, reader, progress=False)
    assert set(report.by_region) == {"eu", "us"}
    eu, us = report.by_region["eu"], report.by_region["us"]
    assert (eu.images, eu.plates, eu.misses) == (3, 3, 1)
    assert eu.plate_accuracy == pytest.approx(1 / 3)
    assert eu.char_accuracy == pytest.approx(1.8 / 3)
    assert (us.images, us.plates, us.misses) == (1, 1, 0)
    assert us.plate_accuracy == 0
    assert us.char_accuracy == pytest.approx(1 - 1 / 7)
    assert us.false_plates_per_image is None


def test_insertions_count_as_empty_to_char(tmp_path):
    names = make_set(tmp_path, ["a.png,AB12,,,,,eu"])
    report = evaluate(tmp_path, FakeReader(names, crops={"a.png": read("AB123", 0.9)}),
                      progress=False)
    assert report.confusions == [("∅", "3", 1)]
    assert report.char_accuracy == pytest.approx(0.8)


def test_confusions_are_the_ten_commonest(tmp_path):
    letters = "ABCDEFGHIJKL"
    # image k is labelled letters[:12-k] and read as all Z: letter j → Z happens 12-j times
    rows = [f"i{k:02d}.png,{letters[:12 - k]},,,,,eu" for k in range(12)]
    names = make_set(tmp_path, rows)
    crops = {f"i{k:02d}.png": read("Z" * (12 - k), 0.5) for k in range(12)}
    report = evaluate(tmp_path, FakeReader(names, crops=crops), progress=False)
    assert report.confusions == [(letters[j], "Z", 12 - j) for j in range(10)]
    assert report.char_accuracy == 0 and report.misses == 0


# --------------------------------------------------------------------------- scene sets


def scene_set(tmp_path):
    names = make_set(tmp_path / "scene", [
        # loose labelled box 100..300 x 100..200; the read's box is tight inside it
        "s0.png,AB123,100,100,200,100,eu",
        # two plates; reads associate by IoU and by centre
        "s1.png,CD456,0,0,100,50,eu",
        "s1.png,EF789,200,100,100,50,eu",
        # a plate nobody found, plus a stray read elsewhere
        "s2.png,GH111,0,0,50,20,eu",
        # a negative frame
        "s3.png,,,,,,",
    ])
    reader = FakeReader(names, scene={
        "s0.png": [read("AB123", 0.6, 180, 140, 220, 160),     # centre inside, IoU 0.04
                   read("AB12", 0.5, 150, 130, 250, 170)],     # less confident candidate
        "s1.png": [read("CD456", 0.9, 90, 40, 190, 90),         # IoU with (0,0,100,50): ~0.026,
                   #                                              centre (140,65) outside → false
                   read("CD456", 0.4, 10, 10, 90, 40),         # centre inside → candidate
                   read("EF780", 0.8, 190, 95, 290, 145),      # IoU ~0.68 → candidate
                   read("EF789", 0.7, 300, 150, 400, 200)],    # IoU 0 and centre (350,175) out
        "s2.png": [read("ZZ999", 0.9, 300, 150, 380, 170)],
        "s3.png": [read("NE123", 0.8), read("NE456", 0.3)],
    })
    return tmp_path / "scene", reader


def test_scene_set_associates_loose_boxes(tmp_path):
    folder, reader = scene_set(tmp_path)
    report = evaluate(folder, reader, progress=False)
    assert [c[0] for c in reader.calls] == ["read"] * 4
    assert [c[2] for c in reader.calls] == ["eu", "eu", "eu", None]
    assert report.mode == "scene"
    got = {(p.image, p.label): (p.read, p.confidence) for p in report.plates}
    assert got == {
        ("s0.png", "AB123"): ("AB123", 0.6),
        ("s1.png", "CD456"): ("CD456", pytest.approx(0.4)),
        ("s1.png", "EF789"): ("EF780", pytest.approx(0.8)),
        ("s2.png", "GH111"): (None, None),
    }
    assert report.images == 4
    assert report.overall.plates == 4
    assert report.plate_accuracy == pytest.approx(2 / 4)
    assert report.char_accuracy == pytest.approx((1 + 1 + 0.8 + 0) / 4)
    assert report.detection_recall == pytest.approx(3 / 4)
    assert report.misses == 1
    # false: s1 CD456@0.9 and EF789@0.7, s2 ZZ999, s3 both reads → 5 over 4 frames
    assert report.overall.false_plates == 5
    assert report.false_plates_per_image == pytest.approx(5 / 4)
    assert [i.false_plates for i in report.images_detail] == [0, 2, 1, 2]
    assert report.confusions == [("9", "0", 1)]
    assert set(report.by_region) == {"eu", "none"}
    assert report.cn_by_province == {} and report.cn_by_type == {}
    neg = report.by_region["none"]
    assert (neg.images, neg.plates, neg.false_plates) == (1, 0, 2)
    assert neg.plate_accuracy is None and neg.detection_recall is None
    assert neg.false_plates_per_image == 2
    eu = report.by_region["eu"]
    assert eu.false_plates_per_image == pytest.approx(3 / 3)
    assert eu.detection_recall == pytest.approx(3 / 4)


def test_scene_set_splits_not_found_from_misread(tmp_path):
    folder, reader = scene_set(tmp_path)
    report = evaluate(folder, reader, progress=False)
    # GH111 got no read; EF789 was read as EF780
    assert (report.overall.not_found, report.overall.misread) == (1, 1)
    assert (report.by_region["eu"].not_found, report.by_region["eu"].misread) == (1, 1)
    assert (report.by_region["none"].not_found, report.by_region["none"].misread) == (0, 0)
    data = report.to_json_dict()
    assert (data["not_found"], data["misread"]) == (1, 1)
    assert (data["by_region"]["eu"]["not_found"], data["by_region"]["eu"]["misread"]) == (1, 1)
    assert "missed: 1 not found, 1 found but misread (0 of them" in report.render()


def test_belongs_by_iou_or_centre():
    box = (0, 0, 100, 100)
    assert ev.belongs(read("A1", 1, 40, 40, 60, 60), box)        # centre inside, tiny IoU
    # centre (130,130) outside; IoU 1600/28000 = 0.057 against (0,0,100,100) ...
    assert not ev.belongs(read("A1", 1, 60, 60, 200, 200), box)
    # ... but 3600/(14400+19600-3600) = 0.118 against (0,0,120,120), centre still outside
    assert ev.belongs(read("A1", 1, 60, 60, 200, 200), (0, 0, 120, 120))
    assert ev.belongs(read("A1", 1, 50, 0, 150, 100), box) is True   # IoU 1/3, centre on edge
    assert ev.belongs(read("A1", 1, 90, 0, 200, 100), box) is False  # IoU 10/200 = 0.05
    assert ev.belongs(read("A1", 1, 80, 0, 200, 100), box) is True   # IoU 20/200 = 0.1


def test_negatives_only_every_read_is_false(tmp_path):
    names = make_set(tmp_path, ["n0.png,,,,,,", "n1.png,,,,,,", "n2.png,,,,,,"])
    reader = FakeReader(names, scene={"n0.png": [read("AB123", 0.5)],
                                      "n2.png": [read("AB123", 0.5), read("CD456", 0.5)]})
    report = evaluate(tmp_path, reader, progress=False)
    assert report.mode == "scene"
    assert report.images == 3
    assert report.plate_accuracy is None and report.char_accuracy is None
    assert report.detection_recall is None
    assert report.misses == 0
    assert report.false_plates_per_image == pytest.approx(1.0)
    assert report.confusions == []


def test_unlabelled_boxes_give_recall_only(tmp_path):
    names = make_set(tmp_path, ["r0.png,,10,10,50,20,ro", "r0.png,,200,10,50,20,ro",
                                "r1.png,,10,10,50,20,ro"])
    reader = FakeReader(names, scene={"r0.png": [read("B123ABC", 0.9, 15, 12, 55, 28)],
                                      "r1.png": [read("B12ABC", 0.9, 300, 100, 340, 120)]})
    report = evaluate(tmp_path, reader, progress=False)
    assert report.plate_accuracy is None and report.char_accuracy is None
    assert report.detection_recall == pytest.approx(1 / 3)
    assert report.misses == 2
    assert (report.overall.not_found, report.overall.misread) == (0, 0)   # no label to miss
    assert report.overall.false_plates == 1
    assert report.confusions == []
    assert report.errors == []
    assert "missed:" not in report.render()


def test_boxless_plate_in_scene_set_takes_most_confident_read(tmp_path):
    names = make_set(tmp_path, ["a.png,AB123,,,,,eu", "b.png,CD456,0,0,50,20,eu"])
    reader = FakeReader(names, scene={"a.png": [read("AB128", 0.4), read("AB123", 0.9),
                                                read("XX999", 0.1)],
                                      "b.png": [read("CD456", 0.9, 5, 5, 45, 15)]})
    report = evaluate(tmp_path, reader, progress=False)
    assert report.mode == "scene"
    assert [c[0] for c in reader.calls] == ["read", "read"]
    assert report.plate_accuracy == 1.0
    assert report.detection_recall == 1.0          # only b.png's box counts
    assert report.overall.false_plates == 2        # the two other reads in a.png


def test_unreadable_images_are_listed_not_fatal(tmp_path):
    names = make_set(tmp_path, ["a.png,AB123,,,,,eu", "b.png,CD456,,,,,eu"])
    (tmp_path / "b.png").write_bytes(b"not an image")
    with (tmp_path / "labels.csv").open("a") as f:
        f.write("gone.png,EF789,,,,,eu\n")
    reader = FakeReader(names, crops={"a.png": read("AB123", 0.9)})
    report = evaluate(tmp_path, reader, progress=False)
    assert report.unreadable == ["b.png", "gone.png"]
    assert report.images == 1
    assert report.plate_accuracy == 1.0
    assert [c[1] for c in reader.calls] == ["a.png"]
    assert report.to_json_dict()["unreadable"] == ["b.png", "gone.png"]
    assert "unreadable: b.png, gone.png" in report.render()


def test_limit_takes_first_images_by_name(tmp_path):
    names = make_set(tmp_path, [f"{n}.png,AB123,,,,,eu" for n in ["c", "a", "d", "b"]])
    reader = FakeReader(names)
    report = evaluate(tmp_path, reader, limit=2, progress=False)
    assert report.images == 2
    assert [c[1] for c in reader.calls] == ["a.png", "b.png"]
    assert report.misses == 2 and report.plate_accuracy == 0


def test_skip_leaves_out_the_first_images_by_name(tmp_path):
    names = make_set(tmp_path, [f"{n}.png,AB123,,,,,eu" for n in ["c", "a", "d", "b"]])
    reader = FakeReader(names)
    evaluate(tmp_path, reader, skip=1, limit=2, progress=False)
    assert [c[1] for c in reader.calls] == ["b.png", "c.png"]


def test_every_takes_alternate_images_after_skip(tmp_path):
    names = make_set(tmp_path, [f"{n}.png,AB123,,,,,eu" for n in "edcbaf"])
    reader = FakeReader(names)
    evaluate(tmp_path, reader, skip=1, every=2, progress=False)
    assert [c[1] for c in reader.calls] == ["b.png", "d.png", "f.png"]


def test_ms_per_image_is_the_median_reader_time(tmp_path, monkeypatch):
    names = make_set(tmp_path, [f"{n}.png,AB123,,,,,eu" for n in "abc"])
    clock = [100.0]
    monkeypatch.setattr(ev, "perf_counter", lambda: clock[0])
    reader = FakeReader(names, ms={"a.png": 10, "b.png": 30, "c.png": 1000}, clock=clock)
    report = evaluate(tmp_path, reader, progress=False)
    assert report.ms_per_image == pytest.approx(30)
    assert report.by_region["eu"].ms_per_image == pytest.approx(30)


def test_progress_goes_to_stderr(tmp_path, capsys):
    folder, reader = crop_set(tmp_path)
    evaluate(folder, reader, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "crops" in err


# --------------------------------------------------------------------------- output


JSON_KEYS = {"images", "plate_accuracy", "char_accuracy", "detection_recall",
             "false_plates_per_image", "ms_per_image", "by_region", "confusions", "misses",
             "not_found", "misread", "dataset", "unreadable"}


def test_json_report(tmp_path):
    folder, reader = scene_set(tmp_path)
    data = json.loads(json.dumps(evaluate(folder, reader, progress=False).to_json_dict()))
    assert JSON_KEYS <= set(data)
    assert data["dataset"] == "scene"
    assert data["images"] == 4
    assert data["confusions"] == [["9", "0", 1]]
    assert set(data["by_region"]) == {"eu", "none"}
    for figures in data["by_region"].values():
        assert JSON_KEYS - {"by_region", "confusions", "dataset", "unreadable"} <= set(figures)
    assert data["by_region"]["eu"]["detection_recall"] == pytest.approx(0.75)


def test_render_is_a_table(tmp_path):
    folder, reader = scene_set(tmp_path)
    text = evaluate(folder, reader, progress=False).render()
    assert "scene" in text and "exact" in text and "recall" in text
    assert "50.0%" in text and "75.0%" in text
    assert "9→0 1" in text
    assert "GH111" in text  # the missed plate is listed


def cn_crop_set(tmp_path):
    names = make_set(tmp_path / "cn", [
        "k0.png,鲁A12345,,,,,cn",
        "k1.png,皖A12345,,,,,cn",
        "k2.png,粤Z1234港,,,,,cn",
        "k3.png,京A1234警,,,,,cn",
        "k4.png,皖B67890,,,,,cn",
        "k5.png,使123456,,,,,cn",     # an embassy plate names no province
        "k6.png,AB123,,,,,eu",        # not a CN plate: in no breakdown
    ], size=(24, 94))
    reader = FakeReader(names, crops={
        "k0.png": read("鲁A12345", 0.9),
        "k1.png": read("皖A12346", 0.9),   # one character of seven wrong
        "k2.png": read("粤Z1234港", 0.9),
        "k3.png": None,
        "k4.png": read("皖B67890", 0.9),
        "k5.png": read("使123456", 0.9),
        "k6.png": read("AB123", 0.9),
    })
    return tmp_path / "cn", reader


def table(text: str, title: str) -> list[list[str]]:
    """The rows of the rendered table headed ``title``, split into cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [title]) + 2
    end = lines.index("", start)
    return [line.split() for line in lines[start:end]]


def test_cn_set_is_broken_down_by_province_and_type(tmp_path):
    folder, reader = cn_crop_set(tmp_path)
    report = evaluate(folder, reader, progress=False)
    by_province = {k: (t.plates, t.correct, t.plate_accuracy)
                   for k, t in report.cn_by_province.items()}
    assert by_province == {"皖": (2, 1, 0.5), "other": (1, 1, 1.0), "京": (1, 0, 0.0),
                           "粤": (1, 1, 1.0), "鲁": (1, 1, 1.0)}
    assert list(by_province) == ["皖", "other", "京", "粤", "鲁"]   # most plates, then name
    assert report.cn_by_province["皖"].char_accuracy == pytest.approx((6 / 7 + 1) / 2)
    assert report.cn_by_province["京"].char_accuracy == 0
    by_type = {k: (t.plates, t.correct, t.plate_accuracy) for k, t in report.cn_by_type.items()}
    assert by_type == {"ordinary": (3, 2, pytest.approx(2 / 3)), "embassy": (1, 1, 1.0),
                       "hk-macau": (1, 1, 1.0), "police": (1, 0, 0.0)}
    assert list(by_type) == ["ordinary", "embassy", "hk-macau", "police"]

    data = json.loads(json.dumps(report.to_json_dict(), ensure_ascii=False))
    assert list(data["cn_by_province"]) == ["皖", "other", "京", "粤", "鲁"]
    assert data["cn_by_province"]["皖"] == {"plates": 2, "correct": 1, "plate_accuracy": 0.5,
                                           "char_accuracy": pytest.approx((6 / 7 + 1) / 2)}
    assert data["cn_by_type"]["police"] == {"plates": 1, "correct": 0, "plate_accuracy": 0.0,
                                           "char_accuracy": 0.0}

    text = report.render()
    assert table(text, "province") == [["皖", "2", "50.0%"], ["other", "1", "100.0%"],
                                       ["京", "1", "0.0%"], ["粤", "1", "100.0%"],
                                       ["鲁", "1", "100.0%"]]
    assert table(text, "type") == [["ordinary", "3", "66.7%"], ["embassy", "1", "100.0%"],
                                   ["hk-macau", "1", "100.0%"], ["police", "1", "0.0%"]]


def test_cn_table_pads_province_characters_to_two_columns(tmp_path):
    folder, reader = cn_crop_set(tmp_path)
    lines = evaluate(folder, reader, progress=False).render().splitlines()
    other = next(line for line in lines if line.startswith("other "))
    wan = next(line for line in lines if line.startswith("皖"))
    assert len(wan) + 1 == len(other)   # 皖 is one character but two terminal columns


def test_cn_plate_of_no_known_kind_counts_as_other(tmp_path):
    # b.png is a CN plate by its text but labelled without a region: the region decides
    names = make_set(tmp_path, ["a.png,123ABC,,,,,cn", "b.png,京A12345,,,,,"])
    reader = FakeReader(names, crops={"a.png": read("123ABC", 0.9)})
    report = evaluate(tmp_path, reader, progress=False)
    assert {k: t.plates for k, t in report.cn_by_province.items()} == {"other": 1}
    assert {k: t.plates for k, t in report.cn_by_type.items()} == {"other": 1}


def test_sets_without_cn_plates_have_no_cn_breakdown(tmp_path):
    folder, reader = crop_set(tmp_path)
    report = evaluate(folder, reader, progress=False)
    assert report.cn_by_province == {} and report.cn_by_type == {}
    data = report.to_json_dict()
    assert data["cn_by_province"] == {} and data["cn_by_type"] == {}
    text = report.render()
    assert "province" not in text and "type" not in text


def test_crop_sets_are_told_from_scene_sets_and_selection_follows_file_names(tmp_path):
    crops, _ = crop_set(tmp_path / "c")
    scenes, _ = scene_set(tmp_path / "s")
    assert crops != scenes
    assert is_crop_set(load_manifest(crops)) and not is_crop_set(load_manifest(scenes))
    assert not is_crop_set([])
    items = load_manifest(crops)
    assert [i.image for i in select(items, skip=1, every=2)] == [i.image for i in items[1::2]]
    assert select(items, limit=1) == items[:1] and select(items, limit=-3) == []


# --------------------------------------------------------------------------- real data


@pytest.mark.skipif(not REAL_CROPS.is_dir(), reason="shared/data/lprnet-cn-crops not present")
def test_rapidocr_on_real_cn_crops():
    from checkpoint.lab.crops import RapidOcrCropReader

    report = evaluate(REAL_CROPS, RapidOcrCropReader(), limit=20, progress=False)
    assert report.mode == "crop"
    assert report.images == 20
    assert report.unreadable == []
    assert 0 <= report.plate_accuracy <= 1
    assert 0 <= report.char_accuracy <= 1
    assert report.plate_accuracy <= report.char_accuracy
    assert set(report.by_region) == {"cn"}
    assert report.ms_per_image > 0


def test_a_plate_found_but_left_unread_counts_as_misread_not_as_not_found(tmp_path):
    folder, reader = scene_set(tmp_path)
    plain = evaluate(folder, reader, progress=False).overall   # no detector to ask: not found
    assert (plain.not_found, plain.misread, plain.found_unread) == (1, 1, 0)
    # the detector saw s2's plate, and the read was dropped (by the grammar, say)
    reader.found = lambda image, region, scale=None: [
        np.array([[2, 2], [48, 2], [48, 18], [2, 18]], np.float32)]
    report = evaluate(folder, reader, progress=False)
    o = report.overall
    assert (o.not_found, o.misread, o.found_unread) == (0, 2, 1)
    assert "missed: 0 not found, 2 found but misread (1 of them with no read kept)" in \
        report.render()
