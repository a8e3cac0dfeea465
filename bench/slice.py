"""`clipcart slice` figures for `clipcart bench`: speed and memory on a long recording.

The recording (bench/live.py): 21 minutes, 1280x720 30 fps H.264 (a keyframe every
2 s), a TTS host chatting and pitching 8 products, one product named in passing.
``clipcart slice --json`` runs in a fresh process with an empty CLIPCART_HOME (no
cached transcript or survey), its process tree's RSS polled.

- ``slice_rtf``: wall time of the whole command / recording length (target <= 0.12),
  and its parts from OUT/slice.json (``slice_transcription_s``,
  ``slice_picture_analysis_s`` (concurrent with transcription), ``slice_selection_s``,
  ``slice_renders_s``: summed render seconds of the clips, one render at a time);
- ``slice_peak_rss_mb`` (target <= 1536);
- the floor: ``floor_whisper_s`` (faster-whisper alone on the same speech: tiny.en, VAD,
  word times, greedy, one call) plus ``floor_decode_s`` (ffmpeg decoding the whole
  recording scaled to the analysis size, to null); ``slice_vs_floor`` = wall / their sum;
- ``slice_pitches_found`` / ``slice_pitches_true`` and ``slice_extra_clips``: clips
  whose window holds a pitch of its product, and clips that hold none.

Run alone: ``PYTHONPATH=. python -m bench.slice`` (prints JSON).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench.footage import bench_dir
from bench.live import Spoken, make_live_recording, write_catalog
from bench.measure import RSS_POLL_S, timed, tree_rss_bytes
from pipeline.footage.analysis import ANALYSIS_WIDTH
from pipeline.media.ffmpeg import run_ffmpeg

MINUTES = 21
PITCHES = 8
TARGETS = {"slice_rtf": ("<=", 0.12), "slice_peak_rss_mb": ("<=", 1536.0)}


def recording() -> tuple[Path, list[Spoken]]:
    """The bench recording, made once under CLIPCART_HOME/bench."""
    out = bench_dir() / f"live_{MINUTES}min_720p30.mp4"
    return out, make_live_recording(out, MINUTES * 60, pitches=PITCHES, size="1280x720",
                                    fps=30)


def run_slice(rec: Path, catalog: Path, out: Path, env: dict[str, str]
              ) -> tuple[list[dict[str, Any]], float, float]:
    """`clipcart slice --json` in a fresh process: (manifests, wall s, peak tree RSS MB)."""
    cmd = [sys.executable, "-m", "flows.cli", "slice", str(rec), "--catalog", str(catalog),
           "--out", str(out), "--json"]
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak = [0]
    watcher = psutil.Process(proc.pid)

    def poll() -> None:
        while proc.poll() is None:
            try:
                peak[0] = max(peak[0], tree_rss_bytes(watcher))
            except psutil.Error:
                break
            time.sleep(RSS_POLL_S)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    stdout, stderr = proc.communicate(timeout=6 * 3600)
    wall = time.perf_counter() - began
    thread.join()
    if proc.returncode != 0:
        raise RuntimeError(f"clipcart slice failed: {stderr.strip()[-400:]}")
    manifests: list[dict[str, Any]] = json.loads(stdout.strip().splitlines()[-1])
    return manifests, wall, peak[0] / 1e6


def whisper_floor_s(rec: Path) -> float:
    """faster-whisper alone on the recording's speech (audio decoded first, not timed)."""
    from pipeline.media.probe import probe
    from pipeline.speech.transcribe import decode_audio, load_model

    samples = decode_audio(probe(rec))
    model = load_model("tiny.en", 0)

    def run() -> int:
        segments, _ = model.transcribe(samples, language="en", word_timestamps=True,
                                       vad_filter=True, beam_size=1,
                                       condition_on_previous_text=False)
        return sum(1 for _ in segments)

    return timed(run)[1].wall_s


def decode_floor_s(rec: Path) -> float:
    """ffmpeg decoding every frame, scaled to the analysis width in grey, to null."""
    args = ["-v", "error", "-i", str(rec), "-an", "-vf",
            f"scale={ANALYSIS_WIDTH}:-2,format=gray", "-f", "null", "-"]
    return timed(lambda: run_ffmpeg(args, timeout_s=3600))[1].wall_s


def accuracy(manifests: list[dict[str, Any]], truth: list[Spoken]) -> dict[str, int]:
    """Pitches whose product got a clip over the pitch, and clips over no pitch of theirs."""
    pitches = [s for s in truth if s.sku]
    hits = extra = 0
    for m in manifests:
        w = m["window"]
        mine = [s for s in pitches if s.sku == m["sku"]
                and min(w["end_ms"], s.end_ms) - max(w["start_ms"], s.start_ms)
                >= 0.5 * (s.end_ms - s.start_ms)]
        hits += bool(mine)
        extra += not mine
    return {"slice_pitches_true": len(pitches), "slice_pitches_found": hits,
            "slice_extra_clips": extra}


def measure_slice() -> dict[str, Any]:
    """All slice figures, in a fresh CLIPCART_HOME."""
    rec, truth = recording()
    length_s = truth[-1].end_ms / 1000 + 2
    from pipeline.media.probe import probe

    length_s = probe(rec).duration_ms / 1000
    with tempfile.TemporaryDirectory(prefix="clipcart-slice-bench-") as tmp:
        work = Path(tmp)
        catalog = write_catalog(work / "catalog.csv")
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "CLIPCART_HOME": str(work / "home"),
               "PREFECT_HOME": str(work / "home" / "prefect"),
               "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(work / "home" / "results"),
               "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",
               "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH"))
                                             if p)}
        cpu0 = _children_cpu()
        manifests, wall, rss = run_slice(rec, catalog, work / "out", env)
        cpu = _children_cpu() - cpu0
        report = json.loads((work / "out" / "slice.json").read_text())["recordings"][0]
    whisper_s, decode_s = whisper_floor_s(rec), decode_floor_s(rec)
    t = report["timings"]
    return {"slice_recording_s": round(length_s, 1), "slice_wall_s": round(wall, 2),
            "slice_cpu_s": round(cpu, 2), "slice_rtf": round(wall / length_s, 4),
            "slice_transcription_s": t["transcription"],
            "slice_picture_analysis_s": t["picture_analysis"],
            "slice_selection_s": t["selection"],
            "slice_analysis_wall_s": t["analysis_wall"],
            "slice_renders_s": round(sum(m["timings"].get("render", 0.0) for m in manifests), 2),
            "slice_clips": len(manifests), "slice_peak_rss_mb": round(rss, 1),
            "floor_whisper_s": round(whisper_s, 2), "floor_decode_s": round(decode_s, 2),
            "slice_vs_floor": round(wall / (whisper_s + decode_s), 3),
            **accuracy(manifests, truth), "load_avg_1m": round(os.getloadavg()[0], 2)}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    print(json.dumps(measure_slice(), indent=1))
