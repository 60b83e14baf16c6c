"""``checkpoint eval DIR``: measure a plate reader on a labelled folder of real images.

The folder holds images and a ``labels.csv`` manifest with the columns
``image,plate,x,y,w,h,region`` (see ``shared/data/README.md``): one row per plate, an empty box
for tight crops, an empty plate for boxes nobody has read (the Romanian dash-cam set), and one row
with neither for an image with no plate at all.

A folder whose plates all lack a box is a *crop set*: each image is read by a crop reader
(``checkpoint.lab.crops``: the recognisers alone). Anything else is a *scene set*: each image is
read once by a box's plate reader and the reads are tied to the labelled boxes. The boxes are loose, so a read
belongs to a labelled plate when the two boxes overlap by IoU >= 0.1 or when the read's centre
lies inside the labelled box; the plate's best read is its most confident such candidate. A read
that belongs to no labelled plate is a false plate.

A read is correct only when its text equals the normalised label exactly; the box only says which
label to compare it with. A scene set's wrong plates are split into those the reader's detector
never found (not found) and those it found but read wrongly or not at all (misread; a found plate
whose read the grammar or the confidence floor dropped is counted apart), as the two call for
different fixes. CN plates are also
counted per province character and per plate type, since one mixed figure hides a weak province
or a rare type.
"""
from __future__ import annotations

import csv
import dataclasses
import statistics
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np

from checkpoint.grammar import cn_plate_type
from checkpoint.wire.plates import CN_PROVINCES, REGIONS, normalise

if TYPE_CHECKING:
    from collections.abc import Callable

    from checkpoint.lab.crops import CropReader
    from checkpoint.read import PlateRead, PlateReader

MANIFEST = "labels.csv"
COLUMNS = ("image", "plate", "x", "y", "w", "h", "region")
MIN_IOU = 0.1
EMPTY = "∅"          # the missing side of an insertion or deletion in the confusion counts
NO_REGION = "none"   # by_region key for images labelled without a region (the negatives)
TOP_CONFUSIONS = 10
OTHER = "other"      # cn_by_province / cn_by_type key for a plate outside the named kinds


class ManifestError(ValueError):
    """labels.csv is missing or malformed; the message names the file and, where it can, the line."""


@dataclass(frozen=True)
class LabelledPlate:
    text: str | None                                  # as printed; None when nobody read it (ro)
    box: tuple[float, float, float, float] | None     # (x, y, w, h) pixels; None for a crop


@dataclass(frozen=True)
class LabelledImage:
    image: str
    plates: tuple[LabelledPlate, ...]   # empty for an image with no plate
    region: str | None


# --------------------------------------------------------------------------- manifest


def _number(value: str, column: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ManifestError(f"{where}: {column} is not a number: {value!r}") from None
    if not np.isfinite(number):
        raise ManifestError(f"{where}: {column} is not a finite number: {value!r}")
    return number


def load_manifest(folder: Path) -> list[LabelledImage]:
    """The folder's labels.csv, rows grouped per image, sorted by file name."""
    path = Path(folder) / MANIFEST
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot open: {exc.strerror or exc}") from None

    plates: dict[str, list[LabelledPlate]] = {}
    regions: dict[str, str | None] = {}
    negatives: set[str] = set()
    with handle:
        rows = csv.reader(handle)
        try:
            header = next(rows, None)
            if header is None:
                raise ManifestError(f"{path}: empty file, expected the header {','.join(COLUMNS)}")
            header = [h.strip() for h in header]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise ManifestError(f"{path}:{rows.line_num}: header lacks {', '.join(missing)} "
                                    f"(expected {','.join(COLUMNS)})")
            index = {c: header.index(c) for c in COLUMNS}
            for row in rows:
                where = f"{path}:{rows.line_num}"
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise ManifestError(f"{where}: {len(row)} fields, expected {len(header)}")
                cell = {c: row[i].strip() for c, i in index.items()}
                image = cell["image"]
                if not image:
                    raise ManifestError(f"{where}: empty image name")
                if Path(image).name != image:
                    raise ManifestError(f"{where}: image must be a file name in the folder: {image!r}")
                region = cell["region"] or None
                if region is not None and region not in REGIONS:
                    raise ManifestError(f"{where}: unknown region {region!r} "
                                        f"(expected one of {', '.join(REGIONS)} or empty)")
                coords = [cell[c] for c in ("x", "y", "w", "h")]
                if any(coords) and not all(coords):
                    raise ManifestError(f"{where}: box needs all of x,y,w,h or none")
                box = None
                if all(coords):
                    x, y, w, h = (_number(v, c, where) for v, c in zip(coords, "xywh"))
                    if w <= 0 or h <= 0:
                        raise ManifestError(f"{where}: box width and height must be positive")
                    box = (x, y, w, h)
                text = cell["plate"] or None
                if image in regions and regions[image] != region:
                    raise ManifestError(f"{where}: {image}: region {region!r} differs from "
                                        f"{regions[image]!r} on an earlier line")
                regions[image] = region
                image_plates = plates.setdefault(image, [])
                if text is None and box is None:       # an image with no plate
                    if image_plates:
                        raise ManifestError(f"{where}: {image}: empty row for an image "
                                            "that has plates on earlier lines")
                    negatives.add(image)
                    continue
                if image in negatives:
                    raise ManifestError(f"{where}: {image}: plate row for an image marked "
                                        "as having no plate on an earlier line")
                image_plates.append(LabelledPlate(text, box))
        except csv.Error as exc:
            raise ManifestError(f"{path}:{rows.line_num}: {exc}") from None
        except UnicodeDecodeError as exc:
            raise ManifestError(f"{path}: not UTF-8: {exc}") from None
    return [LabelledImage(name, tuple(plates[name]), regions[name]) for name in sorted(plates)]


# --------------------------------------------------------------------------- association


def _xyxy(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    x, y, w, h = box
    return x, y, x + w, y + h


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _corners_box(corners: np.ndarray) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _covers(found: tuple[float, float, float, float], box: tuple[float, float, float, float]
            ) -> bool:
    """Does a detection or read (x0, y0, x1, y1) stand for the labelled ``box`` (x, y, w, h)?
    Its centre lies inside the box, or the two overlap by IoU >= ``MIN_IOU``."""
    label = _xyxy(box)
    cx, cy = (found[0] + found[2]) / 2, (found[1] + found[3]) / 2
    return (label[0] <= cx <= label[2] and label[1] <= cy <= label[3]) or \
        _iou(found, label) >= MIN_IOU


def belongs(read: PlateRead, box: tuple[float, float, float, float]) -> bool:
    """Is ``read`` a candidate for the labelled ``box`` (x, y, w, h)?"""
    return _covers(read.box, box)


# --------------------------------------------------------------------------- report


@dataclass
class PlateResult:
    image: str
    region: str | None
    label: str | None               # normalised label text; None when unlabelled
    has_box: bool
    read: str | None                # best read's text; None when nothing was read
    confidence: float | None
    detected: bool                  # a read was tied to it (box plates); a read exists (boxless)
    found: bool | None = None       # scene sets: the reader's detector covered its box

    @property
    def correct(self) -> bool:
        return self.label is not None and self.read == self.label

    @property
    def char_score(self) -> float:
        from rapidfuzz.distance import Levenshtein
        if self.read is None:
            return 0.0
        return 1.0 - Levenshtein.normalized_distance(self.label or "", self.read)


@dataclass
class ImageResult:
    image: str
    region: str | None
    seconds: float
    reads: int
    false_plates: int


@dataclass
class Figures:
    """The accuracy figures for one slice of the set (all of it, or one region)."""
    images: int = 0
    plates: int = 0
    plates_with_text: int = 0
    boxes: int = 0
    correct: int = 0
    misses: int = 0                   # plates, labelled or not, that got no read
    not_found: int | None = None      # scene sets only: labelled plates the detector missed
    misread: int | None = None        # scene sets only: found, but read wrongly or not at all
    found_unread: int | None = None   # of the misread: found, but no read kept (grammar, confidence)
    false_plates: int | None = None   # scene sets only
    plate_accuracy: float | None = None
    char_accuracy: float | None = None
    detection_recall: float | None = None
    false_plates_per_image: float | None = None
    ms_per_image: float | None = None

    def to_json_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _figures(images: list[ImageResult], plates: list[PlateResult], *, scene: bool) -> Figures:
    texts = [p for p in plates if p.label is not None]
    boxes = [p for p in plates if p.has_box]
    false_plates = sum(i.false_plates for i in images)
    not_found = sum(p.read is None and not p.found for p in texts)
    found_unread = sum(p.read is None and bool(p.found) for p in texts)
    return Figures(
        images=len(images),
        plates=len(plates),
        plates_with_text=len(texts),
        boxes=len(boxes),
        correct=sum(p.correct for p in texts),
        misses=sum(p.read is None for p in plates),
        not_found=not_found if scene else None,
        misread=len(texts) - sum(p.correct for p in texts) - not_found if scene else None,
        found_unread=found_unread if scene else None,
        false_plates=false_plates if scene else None,
        plate_accuracy=sum(p.correct for p in texts) / len(texts) if texts else None,
        char_accuracy=statistics.fmean(p.char_score for p in texts) if texts else None,
        detection_recall=sum(p.detected for p in boxes) / len(boxes) if boxes else None,
        false_plates_per_image=false_plates / len(images) if scene and images else None,
        ms_per_image=statistics.median(i.seconds for i in images) * 1000 if images else None,
    )


@dataclass
class Tally:
    """How well one kind of CN plate (a province character or a plate type) is read."""
    plates: int
    correct: int
    plate_accuracy: float
    char_accuracy: float

    def to_json_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def province_of(label: str) -> str:
    """The label's province character; OTHER for a plate that names none (使, WJ, military)."""
    first = label[:1]
    return first if first and first in CN_PROVINCES else OTHER


def type_of(label: str) -> str:
    """The label's CN plate type (``cn_plate_type``); OTHER for a text that is none."""
    return cn_plate_type(label) or OTHER


def _tallies(plates: list[PlateResult], kind: Callable[[str], str]) -> dict[str, Tally]:
    """The labelled CN plates grouped by ``kind`` of their label, the largest group first."""
    groups: dict[str, list[PlateResult]] = {}
    for p in plates:
        if p.region == "cn" and p.label is not None:
            groups.setdefault(kind(p.label), []).append(p)
    tallies = {
        name: Tally(len(group), sum(p.correct for p in group),
                    sum(p.correct for p in group) / len(group),
                    statistics.fmean(p.char_score for p in group))
        for name, group in groups.items()
    }
    return dict(sorted(tallies.items(), key=lambda kv: (-kv[1].plates, kv[0])))


def _confusions(plates: list[PlateResult]) -> list[tuple[str, str, int]]:
    """Label char → read char substitutions, deletions (→ ∅) and insertions (∅ →), commonest first.

    Only plates that got a read count: a miss would otherwise flood the table with deletions.
    """
    from rapidfuzz.distance import Levenshtein

    counts: Counter[tuple[str, str]] = Counter()
    for p in plates:
        if p.label is None or p.read is None:
            continue
        for op in Levenshtein.editops(p.label, p.read):
            if op.tag == "replace":
                counts[p.label[op.src_pos], p.read[op.dest_pos]] += 1
            elif op.tag == "delete":
                counts[p.label[op.src_pos], EMPTY] += 1
            elif op.tag == "insert":
                counts[EMPTY, p.read[op.dest_pos]] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(a, b, n) for (a, b), n in ranked[:TOP_CONFUSIONS]]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _ljust(text: str, width: int) -> str:
    """Pad ``text`` to ``width`` terminal columns; a CJK character takes two."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return text + " " * max(0, width - len(text) - wide)


def _tally_table(title: str, tallies: dict[str, Tally]) -> list[str]:
    head = f"{title:<14}{'plates':>7}{'exact':>9}"
    return [head, "-" * len(head)] + [
        f"{_ljust(name, 14)}{t.plates:>7}{_pct(t.plate_accuracy):>9}"
        for name, t in tallies.items()
    ] + [""]


@dataclass
class EvalReport:
    dataset: str                    # folder name
    folder: str
    reader: str                     # reader class name
    mode: str                       # "crop" or "scene"
    overall: Figures
    by_region: dict[str, Figures]
    confusions: list[tuple[str, str, int]]
    unreadable: list[str]
    seconds: float                  # wall time of the whole run, decode included
    cn_by_province: dict[str, Tally] = field(default_factory=dict)   # empty without CN plates
    cn_by_type: dict[str, Tally] = field(default_factory=dict)
    plates: list[PlateResult] = field(default_factory=list, repr=False)
    images_detail: list[ImageResult] = field(default_factory=list, repr=False)

    # the headline figures, as attributes for callers and tests
    @property
    def images(self) -> int:
        return self.overall.images

    @property
    def plate_accuracy(self) -> float | None:
        return self.overall.plate_accuracy

    @property
    def char_accuracy(self) -> float | None:
        return self.overall.char_accuracy

    @property
    def detection_recall(self) -> float | None:
        return self.overall.detection_recall

    @property
    def false_plates_per_image(self) -> float | None:
        return self.overall.false_plates_per_image

    @property
    def ms_per_image(self) -> float | None:
        return self.overall.ms_per_image

    @property
    def misses(self) -> int:
        return self.overall.misses

    @property
    def errors(self) -> list[PlateResult]:
        """Plates with a label whose best read is wrong or missing, in image order."""
        return [p for p in self.plates if p.label is not None and not p.correct]

    def to_json_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "folder": self.folder,
            "reader": self.reader,
            "mode": self.mode,
            **self.overall.to_json_dict(),
            "by_region": {r: f.to_json_dict() for r, f in self.by_region.items()},
            "cn_by_province": {k: t.to_json_dict() for k, t in self.cn_by_province.items()},
            "cn_by_type": {k: t.to_json_dict() for k, t in self.cn_by_type.items()},
            "confusions": [list(c) for c in self.confusions],
            "unreadable": list(self.unreadable),
            "seconds": self.seconds,
            "errors": [{"image": p.image, "label": p.label, "read": p.read,
                        "confidence": p.confidence} for p in self.errors],
        }

    def render(self, max_errors: int = 10) -> str:
        o = self.overall
        lines = [
            f"dataset  {self.dataset} ({self.mode} set, reader {self.reader})",
            f"images   {o.images} read in {self.seconds:.1f}s"
            + (f", {len(self.unreadable)} unreadable" if self.unreadable else ""),
            "",
        ]
        head = (f"{'':<8}{'images':>7}{'plates':>8}{'exact':>9}{'chars':>8}{'recall':>8}"
                f"{'false/img':>10}{'misses':>8}{'ms/img':>8}")
        lines += [head, "-" * len(head)]
        rows = [("all", o)] + sorted(self.by_region.items()) if len(self.by_region) > 1 \
            else [("all", o)]
        for name, f in rows:
            lines.append(f"{name:<8}{f.images:>7}{f.plates:>8}{_pct(f.plate_accuracy):>9}"
                         f"{_pct(f.char_accuracy):>8}{_pct(f.detection_recall):>8}"
                         f"{_num(f.false_plates_per_image, '.2f'):>10}{f.misses:>8}"
                         f"{_num(f.ms_per_image, '.0f'):>8}")
        if len(self.by_region) == 1:
            lines[-1] += f"   (region {next(iter(self.by_region))})"
        lines.append("")
        if self.cn_by_province:
            lines += _tally_table("province", self.cn_by_province)
            lines += _tally_table("type", self.cn_by_type)
        if o.plates_with_text:
            lines.append(f"exact: {o.correct}/{o.plates_with_text} plates read exactly")
        if o.boxes:
            lines.append(f"recall: {sum(p.detected for p in self.plates if p.has_box)}/{o.boxes} "
                         "labelled boxes got a read")
        if self.mode == "scene" and o.plates_with_text:
            lines.append(f"missed: {o.not_found} not found, {o.misread} found but misread "
                         f"({o.found_unread} of them with no read kept)")
        if self.mode == "scene":
            lines.append(f"false plates: {o.false_plates} over {o.images} images")
        if self.confusions:
            lines.append("confusions (label → read): "
                         + ", ".join(f"{a}→{b} {n}" for a, b, n in self.confusions))
        if self.unreadable:
            lines.append("unreadable: " + ", ".join(self.unreadable))
        errors = self.errors
        if errors and max_errors:
            lines.append(f"wrong or missed ({len(errors)}, first {min(max_errors, len(errors))}):")
            for p in errors[:max_errors]:
                got = "(no read)" if p.read is None else f"{p.read} ({p.confidence:.2f})"
                lines.append(f"  {p.image:<40} {p.label:<10} {got}")
        return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- evaluation


def _imread(path: Path) -> np.ndarray | None:
    import cv2
    if not path.is_file():
        return None
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:  # cv2.imread cannot open non-ASCII paths on some platforms; decode bytes
        data = np.fromfile(str(path), dtype=np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    return image


def _read_scene(item: LabelledImage, reads: list[PlateRead]) -> tuple[list[PlateResult], int]:
    """Tie one frame's reads to its labelled plates; returns the plate results and false plates."""
    used: set[int] = set()
    results = []
    for plate in item.plates:
        label = normalise(plate.text) if plate.text is not None else None
        if plate.box is not None:
            candidates = [i for i, r in enumerate(reads) if belongs(r, plate.box)]
            used.update(candidates)
        else:  # a labelled plate without a box in a scene set: the frame's most confident read
            candidates = list(range(len(reads)))
        best_i = max(candidates, key=lambda i: reads[i].confidence, default=None)
        if plate.box is None and best_i is not None:
            used.add(best_i)
        best = reads[best_i] if best_i is not None else None
        results.append(PlateResult(item.image, item.region, label, plate.box is not None,
                                   best.text if best else None, best.confidence if best else None,
                                   best is not None))
    return results, len(reads) - len(used)


def is_crop_set(items: list[LabelledImage]) -> bool:
    """A set whose labelled plates all lack a box: tight crops, read without detection."""
    labelled = [p for item in items for p in item.plates]
    return bool(labelled) and all(p.box is None for p in labelled)


def select(items: list[LabelledImage], *, limit: int | None = None, skip: int = 0,
           every: int = 1) -> list[LabelledImage]:
    """The images an evaluation reads (``evaluate``'s ``limit``, ``skip`` and ``every``)."""
    chosen = items[max(0, skip)::max(1, every)]
    return chosen if limit is None else chosen[:max(0, limit)]


def evaluate(folder: Path, reader: PlateReader | CropReader, *, limit: int | None = None,
             skip: int = 0, every: int = 1, progress: bool = True,
             min_confidence: float = 0.0,
             min_char_confidence: dict[str, float] | None = None) -> EvalReport:
    """Run ``reader`` over the labelled images in ``folder`` and measure it: a crop reader for a
    crop set, a plate reader for a scene set. Scene reads under ``min_confidence`` (mean) or
    their region's ``min_char_confidence`` (any character) are dropped first, as the camera
    loop drops them. ``skip`` and ``every`` pick images by file name
    (``skip=1, every=2``: the 2nd, 4th, ...)."""
    from checkpoint.read import sure_enough

    folder = Path(folder)
    items = select(load_manifest(folder), limit=limit, skip=skip, every=every)
    crop = is_crop_set(items)

    started = perf_counter()
    plates: list[PlateResult] = []
    images: list[ImageResult] = []
    unreadable: list[str] = []
    bar = items
    if progress:
        from tqdm import tqdm
        bar = tqdm(items, desc=folder.name, unit="img", file=sys.stderr, leave=False)
    for item in bar:
        frame = _imread(folder / item.image)
        if frame is None:
            unreadable.append(item.image)
            continue
        if crop:
            t0 = perf_counter()
            read = reader.read_crop(frame, item.region)
            seconds = perf_counter() - t0
            for plate in item.plates:
                plates.append(PlateResult(
                    item.image, item.region,
                    normalise(plate.text) if plate.text is not None else None, False,
                    read.text if read else None, read.confidence if read else None,
                    read is not None))
            images.append(ImageResult(item.image, item.region, seconds, int(read is not None), 0))
        else:
            t0 = perf_counter()
            char_floor = (min_char_confidence or {}).get(item.region or "", 0.0)
            reads = [r for r in reader.read(frame, item.region)
                     if sure_enough(r, min_confidence, char_floor)]
            seconds = perf_counter() - t0
            results, false_plates = _read_scene(item, reads)
            if any(p.read is None and p.has_box for p in results) and hasattr(reader, "found"):
                boxes = [_corners_box(c) for c in reader.found(frame, item.region)]
                results = [dataclasses.replace(p, found=any(_covers(b, box) for b in boxes))
                           if p.read is None and box is not None else p
                           for p, box in zip(results, (q.box for q in item.plates))]
            plates.extend(results)
            images.append(ImageResult(item.image, item.region, seconds, len(reads), false_plates))
    if progress:
        bar.close()

    scene = not crop
    regions = sorted({i.region or NO_REGION for i in images})
    by_region = {
        r: _figures([i for i in images if (i.region or NO_REGION) == r],
                    [p for p in plates if (p.region or NO_REGION) == r], scene=scene)
        for r in regions
    }
    return EvalReport(
        dataset=folder.resolve().name, folder=str(folder), reader=type(reader).__name__,
        mode="crop" if crop else "scene", overall=_figures(images, plates, scene=scene),
        by_region=by_region, confusions=_confusions(plates), unreadable=unreadable,
        seconds=perf_counter() - started, cn_by_province=_tallies(plates, province_of),
        cn_by_type=_tallies(plates, type_of), plates=plates, images_detail=images,
    )
