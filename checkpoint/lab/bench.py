"""``checkpoint bench``: how fast the edge pipeline is, against the baseline a user would pick.

On a 1080p 25 fps clip with several vehicles (rendered deterministically if absent), it runs the
pipeline at full speed (decode, motion gate, detect, recognise, track) and reports frames per
second, the real-time factor (processing time / footage time; ≤ 1 keeps up with the camera), the
milliseconds per frame of each stage and the peak memory. In the same run, on frames of the same
clip, it times the baseline: rapidocr's full detection + recognition on every frame. The baseline
is slow, so it is timed on ``--baseline-frames`` frames spread evenly over the clip.

``--region cn`` benches a Chinese checkpoint instead: a Jinan lane's blue plates, read with the
CN grammar and the project's CN recogniser (in its views), as a camera with ``plate_region: cn``
reads them.
"""
from __future__ import annotations

import resource
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from checkpoint.camera import CameraStats, run_camera
from checkpoint.config import CameraConfig, CheckpointConfig, ReaderConfig
from checkpoint.ctc import Reading
from checkpoint.detect import Detection, PlateDetector
from checkpoint.lab.sampleclip import LANES, ClipTruth, render_clip
from checkpoint.read import (OnnxPlateReader, PlateReader, RapidOcrReader, Recognisers,
                             build_detector, build_plate_detector, build_recognisers)
from checkpoint.recognise import PlateRecogniser

#: The bench clip for each ``--region``: where it is rendered and the plates it shows.
CLIPS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "any": (Path(".services") / "bench-1080p-25fps.mp4", LANES["any"]),
    "cn": (Path(".services") / "bench-1080p-25fps-cn.mp4", LANES["cn"]),
}


def ensure_clip(path: Path, plates: tuple[str, ...]) -> ClipTruth:
    """The clip at ``path`` if it shows ``plates``, else rendered there anew."""
    truth_path = Path(f"{path}.truth.json")
    if path.exists() and truth_path.exists():
        truth = ClipTruth.from_json(truth_path.read_text())
        if tuple(v.printed for v in truth.vehicles) == tuple(plates):
            return truth
    path.parent.mkdir(parents=True, exist_ok=True)
    return render_clip(path, plates=plates, width=1920, height=1080, fps=25.0, seed=11)


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TimedDetector:
    """A detector whose calls add their seconds to ``totals["detect"]``."""

    def __init__(self, inner: PlateDetector, totals: dict[str, float]) -> None:
        self.inner, self.totals = inner, totals

    def detect(self, image: np.ndarray, scale: float | None = None) -> list[Detection]:
        t0 = time.perf_counter()
        try:
            return self.inner.detect(image, scale)
        finally:
            self.totals["detect"] += time.perf_counter() - t0


class TimedRecogniser:
    """A recogniser whose calls add their seconds to ``totals["recognise"]``."""

    def __init__(self, inner: PlateRecogniser, totals: dict[str, float]) -> None:
        self.inner, self.totals = inner, totals
        self.context = inner.context

    def recognise(self, crops: list[np.ndarray],
                  context: tuple[float, float] = (0.0, 0.0)) -> list[Reading]:
        t0 = time.perf_counter()
        try:
            return self.inner.recognise(crops, context)
        finally:
            self.totals["recognise"] += time.perf_counter() - t0


def timed_reader(cfg: ReaderConfig, totals: dict[str, float]) -> PlateReader:
    """The reader ``cfg`` names, its detector and recognisers timed into ``totals`` (rapidocr's
    pipeline is one call, timed only as the camera loop's "read")."""
    if cfg.name == "rapidocr":
        return RapidOcrReader(threads=cfg.threads)
    recognisers = build_recognisers(cfg)
    plates = build_plate_detector(cfg)
    return OnnxPlateReader(
        TimedDetector(build_detector(cfg, plates), totals),
        Recognisers(TimedRecogniser(recognisers.default, totals),
                    {r: TimedRecogniser(rec, totals) for r, rec in recognisers.by_region.items()}),
        min_height=cfg.min_text_height,
        whole=TimedDetector(plates, totals) if plates is not None else None,
        whole_regions=frozenset(cfg.whole_plate_regions))


def run_pipeline(truth: ClipTruth, cfg: CheckpointConfig) -> dict[str, object]:
    models: dict[str, float] = defaultdict(float)
    reader = timed_reader(cfg.reader, models)
    camera = cfg.cameras[0]
    stats = CameraStats(camera.id)
    plates: list[str] = []
    t0 = time.perf_counter()
    run_camera(camera, cfg, reader, lambda p: plates.append(p.plate), stats, realtime=False,
               store=None)
    total = time.perf_counter() - t0
    if stats.state == "failed":
        raise RuntimeError(stats.last_error)
    footage = stats.frames / truth.fps
    stages = {k: v * 1000 / stats.frames for k, v in stats.stage_s.items()}
    stages |= {k: v * 1000 / stats.frames for k, v in models.items()}  # "read", split by model
    return {
        "frames": stats.frames,
        "footage_s": round(footage, 2),
        "seconds": round(total, 2),
        "fps": round(stats.frames / total, 1),
        "realtime_factor": round(total / footage, 3),
        "stages_ms_per_frame": {k: round(v, 2) for k, v in stages.items()},
        "frames_read": stats.frames_read,
        "passages": len(plates),
        "plates_correct": sum(plates.count(v.plate) == 1 for v in truth.vehicles),
        "vehicles": len(truth.vehicles),
        "peak_memory_mb": round(_peak_memory_mb(), 1),
    }


def run_baseline(truth: ClipTruth, frames: int) -> dict[str, object]:
    """rapidocr with its default settings, full det+rec on each sampled frame (decode included)."""
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "error"})
    wanted = set(np.linspace(0, truth.frames - 1, num=min(frames, truth.frames)).astype(int))
    cap = cv2.VideoCapture(truth.path)
    elapsed, done, index = 0.0, 0, 0
    while True:
        t0 = time.perf_counter()
        ok, image = cap.read()
        if not ok:
            break
        if index in wanted:
            engine(image)
            elapsed += time.perf_counter() - t0
            done += 1
        index += 1
    cap.release()
    return {"baseline_frames": done, "baseline_fps": round(done / elapsed, 2),
            "baseline_ms_per_frame": round(elapsed * 1000 / done, 1)}


def bench(clip: Path | None, *, baseline_frames: int, reads_per_second: float,
          reader: ReaderConfig, region: str = "any") -> dict:
    """Time the pipeline and the baseline on ``clip`` (default: ``region``'s clip, rendered if
    absent); its camera reads plates of ``region`` ("any": no grammar region)."""
    default_clip, plates = CLIPS[region]
    clip = clip or default_clip
    truth = ensure_clip(clip, plates)
    cfg = CheckpointConfig(checkpoint_id="bench", reader=reader, cameras=[
        CameraConfig(id="bench", source=str(clip), reads_per_second=reads_per_second,
                     plate_region=None if region == "any" else region)])
    result: dict[str, object] = {"clip": str(clip), "plate_region": region,
                                 "resolution": f"{truth.width}x{truth.height}",
                                 "clip_fps": truth.fps, "reads_per_second": reads_per_second,
                                 "reader": reader.name, "detector": reader.detector,
                                 "threads": reader.threads}
    result |= run_pipeline(truth, cfg)
    result |= run_baseline(truth, baseline_frames)
    result["speedup"] = round(float(result["fps"]) / float(result["baseline_fps"]), 1)
    return result


def render(r: dict) -> str:
    stages = "  ".join(f"{k} {v:.1f}" for k, v in r["stages_ms_per_frame"].items())
    return "\n".join([
        f"clip            {r['clip']} ({r['resolution']} @ {r['clip_fps']:.0f} fps, "
        f"{r['frames']} frames, {r['footage_s']} s)",
        f"kakou           {r['fps']} fps, real-time factor {r['realtime_factor']} "
        f"({r['reader']} reader, {r['detector']} detector, {r['threads']} threads, "
        f"{r['reads_per_second']:g} reads/s, plates of region {r['plate_region']})",
        f"  ms per frame  {stages}",
        f"  result        {r['passages']} passages, {r['plates_correct']}/{r['vehicles']} "
        f"vehicles read right; peak memory {r['peak_memory_mb']} MB",
        f"baseline        rapidocr det+rec on every frame: {r['baseline_fps']} fps "
        f"({r['baseline_ms_per_frame']} ms/frame over {r['baseline_frames']} frames)",
        f"speedup         {r['speedup']}x",
    ])
