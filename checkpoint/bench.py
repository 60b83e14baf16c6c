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

import argparse
import json
import resource
import time
from pathlib import Path

import cv2
import numpy as np

from checkpoint.config import CameraConfig, CheckpointConfig, ReaderConfig
from checkpoint.pipeline import CameraStats, run_camera
from checkpoint.read import OnnxPlateReader, build_reader
from checkpoint.sampleclip import CN_PLATES, SAMPLE_PLATES, ClipTruth, render_clip

#: The bench clip for each ``--region``: where it is rendered and the plates it shows.
CLIPS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "any": (Path(".services") / "bench-1080p-25fps.mp4", SAMPLE_PLATES),
    "cn": (Path(".services") / "bench-1080p-25fps-cn.mp4", CN_PLATES),
}


def ensure_clip(path: Path, plates: tuple[str, ...]) -> ClipTruth:
    truth_path = Path(f"{path}.truth.json")
    if path.exists() and truth_path.exists():
        return ClipTruth.from_json(truth_path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    return render_clip(path, plates=plates, width=1920, height=1080, fps=25.0, seed=11)


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_pipeline(truth: ClipTruth, cfg: CheckpointConfig) -> dict[str, object]:
    reader = build_reader(cfg.reader)
    camera = cfg.cameras[0]
    stats = CameraStats(camera.id)
    passages = []
    t0 = time.perf_counter()
    run_camera(camera, cfg, reader, passages.append, stats, realtime=False, evidence=None)
    total = time.perf_counter() - t0
    if stats.state == "failed":
        raise RuntimeError(stats.last_error)
    footage = stats.frames / truth.fps
    stages = {k: v * 1000 / stats.frames for k, v in stats.stage_s.items()}
    if isinstance(reader, OnnxPlateReader):  # split "read" into its two models
        stages["detect"] = reader.times.detect * 1000 / stats.frames
        stages["recognise"] = reader.times.recognise * 1000 / stats.frames
    plates = [p.plate for p in passages]
    return {
        "frames": stats.frames,
        "footage_s": round(footage, 2),
        "seconds": round(total, 2),
        "fps": round(stats.frames / total, 1),
        "realtime_factor": round(total / footage, 3),
        "stages_ms_per_frame": {k: round(v, 2) for k, v in stages.items()},
        "frames_read": stats.frames_read,
        "passages": len(passages),
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clip", type=Path, default=None,
                        help="1080p clip (default: the region's, under .services/; rendered "
                        "with its truth file if absent)")
    parser.add_argument("--region", choices=sorted(CLIPS), default="any",
                        help="any: European-looking plates, no grammar region (default); cn: a "
                        "Jinan lane's Chinese plates, read with the CN grammar and recogniser")
    parser.add_argument("--baseline-frames", type=int, default=40,
                        help="frames, spread over the clip, on which the baseline is timed")
    parser.add_argument("--reads-per-second", type=float, default=5.0,
                        help="how often plates are read (the camera config's default)")
    parser.add_argument("--reader", choices=["ppocr", "rapidocr"], default="ppocr")
    parser.add_argument("--threads", type=int, default=ReaderConfig().threads,
                        help="onnxruntime threads (reader.threads)")
    parser.add_argument("--detector", choices=["text", "gated", "plate"], default=ReaderConfig().detector,
                        help="reader.detector: text lines (text), text lines on plates only "
                        "(gated), or plates first (plate)")
    parser.add_argument("--json", action="store_true")


def run_bench(args: argparse.Namespace) -> int:
    result = bench(args.clip, baseline_frames=args.baseline_frames, reads_per_second=args.reads_per_second,
                   reader=ReaderConfig(name=args.reader, threads=args.threads,
                                      detector=args.detector), region=args.region)
    print(json.dumps(result) if args.json else render(result))
    return 0
