"""Print the audio figures: `PYTHONPATH=. python -m tests.support.audio_figures [FOLDER]`.

Ducking on stems (speech recorded 15 dB quieter, as is, 6 dB louder) and loudness of
the audio-only master for speech, speech + music and music-only plans.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import make_scene
from pipeline.qc import measure_loudness
from pipeline.render.ffmpeg_engine import loudness_gain_db
from pipeline.render.files import RenderFiles
from tests.support.audio_support import audio_plan, speech_with_pauses
from tests.support.stems import ducking_report, export_stems, master_args


def main(folder: Path) -> None:
    stimuli = {level: speech_with_pauses(folder / f"speech{level}.m4a", level)
               for level in (-15.0, 0.0, 6.0)}
    for level, path in stimuli.items():
        r = ducking_report(export_stems(audio_plan(path), folder / "stems"))
        print(f"speech {level:+.0f} dB: music in pauses {r.music_in_pauses_db:.1f} dBFS, "
              f"under speech {r.music_under_speech_db:.1f}, depth {r.depth_db:.1f} dB, "
              f"ducker gain {r.gain_under_speech_db:.1f} dB, speech/music "
              f"{r.speech_to_music_db:.1f} dB, recovery {r.recovery_ms} ms")
    silent = make_scene(folder / "silent.mp4", seconds=9.0, size="320x180", speech=None,
                        plain=True)
    cases = {"speech": audio_plan(stimuli[0.0], music=None),
             "speech -15 dB": audio_plan(stimuli[-15.0], music=None),
             "speech+music": audio_plan(stimuli[0.0]),
             "speech -15 dB+music": audio_plan(stimuli[-15.0])}
    for bed in ("upbeat_pop_120", "chill_lofi_80", "energetic_drive_128", "luxe_velvet_100",
                "warm_acoustic_90"):
        cases[f"music only {bed}"] = audio_plan(silent, music=f"{bed}.opus")
    for name, plan in cases.items():
        gain = loudness_gain_db(plan, RenderFiles())
        run_ffmpeg(master_args(plan, RenderFiles(), gain, folder / "master.wav"))
        lufs, peak = measure_loudness(folder / "master.wav")
        print(f"{name:32s} gain {gain:+.2f} dB -> {lufs:.2f} LUFS, {peak:.2f} dBTP")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp))
