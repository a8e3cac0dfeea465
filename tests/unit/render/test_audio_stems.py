"""The audio chains measured on real stems and audio-only masters (no video encode).

Stimulus (tests/audio_support.py): 9 s of the bundled TTS speech in two sentences
with pauses (0.8 s, 1.75 s, 2.33 s), over pink room tone at about -60 dBFS, at the
recorded level and 15 dB quieter. Figures measured when tuning (10 ms frames):
ducking depth 15.4-16.1 dB, speech-to-music 18.6-20.3 dB, recovery to within 3 dB
of the pause level 110-180 ms after speech; loudness after mastering -13.96 (speech),
-14.10 (speech + music), -14.00 (music only) LUFS, true peak -1.62 dBTP at most
(limiter then at -1.6 dBFS; now -2.0, see LIMIT_LINEAR).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import make_scene
from pipeline.qc import measure_loudness
from pipeline.render.ffmpeg_engine import loudness_gain_db
from pipeline.render.files import RenderFiles
from tests.support.audio_support import audio_plan, speech_with_pauses
from tests.support.stems import (
    DuckingReport,
    ducking_report,
    export_stems,
    master_args,
    read_mono,
)

MIN_DEPTH_DB = 10.0
MIN_SPEECH_TO_MUSIC_DB = 12.0
MAX_RECOVERY_MS = 300
"""The issue's 'about 300 ms'; measured 110-180 ms, so a regression shows long before."""


@pytest.fixture(scope="module")
def stimuli(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("audio")
    return {"recorded": speech_with_pauses(folder / "speech.m4a"),
            "quiet": speech_with_pauses(folder / "quiet.m4a", level_db=-15.0),
            "silent": make_scene(folder / "silent.mp4", seconds=6.0, size="320x180",
                                 speech=None, plain=True)}


@pytest.fixture(scope="module")
def reports(stimuli: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, DuckingReport]:
    folder = tmp_path_factory.mktemp("stems")
    return {name: ducking_report(export_stems(audio_plan(stimuli[name]), folder / name))
            for name in ("recorded", "quiet")}


@pytest.mark.parametrize("name", ["recorded", "quiet"])
def test_music_ducks_at_least_10_db_under_speech(reports: dict[str, DuckingReport],
                                                  name: str) -> None:
    report = reports[name]
    assert report.depth_db >= MIN_DEPTH_DB, report
    assert report.gain_under_speech_db <= -MIN_DEPTH_DB, report


@pytest.mark.parametrize("name", ["recorded", "quiet"])
def test_music_is_back_within_300_ms_of_speech_ending(reports: dict[str, DuckingReport],
                                                       name: str) -> None:
    recovery = reports[name].recovery_ms
    assert len(recovery) == 2, reports[name]
    assert max(recovery) <= MAX_RECOVERY_MS, reports[name]


@pytest.mark.parametrize("name", ["recorded", "quiet"])
def test_speech_stands_12_db_over_the_music(reports: dict[str, DuckingReport],
                                            name: str) -> None:
    assert reports[name].speech_to_music_db >= MIN_SPEECH_TO_MUSIC_DB, reports[name]


def test_speech_is_levelled_whatever_the_recording_level(
        reports: dict[str, DuckingReport]) -> None:
    speech = {name: r.music_under_speech_db + r.speech_to_music_db for name, r in reports.items()}
    assert abs(speech["recorded"] - speech["quiet"]) < 3.0, speech


def test_speech_is_mono_in_the_centre(stimuli: dict[str, Path], tmp_path: Path) -> None:
    stems = export_stems(audio_plan(stimuli["recorded"], music=None), tmp_path)
    import av

    with av.open(str(stems.speech)) as container:
        frames = list(container.decode(audio=0))
    assert frames[0].layout.nb_channels == 2 and not frames[0].format.is_planar
    pcm = np.concatenate([f.to_ndarray().reshape(-1, 2) for f in frames])  # interleaved L R
    assert np.array_equal(pcm[:, 0], pcm[:, 1]) and np.abs(pcm).max() > 0.1


def test_without_ducking_the_music_stays_up(stimuli: dict[str, Path], tmp_path: Path) -> None:
    plan = audio_plan(stimuli["recorded"], duck=False)
    report = ducking_report(export_stems(plan, tmp_path))
    assert abs(report.depth_db) < 3.0 and abs(report.gain_under_speech_db) < 0.5, report


@pytest.mark.parametrize(("name", "music"), [("recorded", None), ("recorded", "upbeat"),
                                             ("quiet", "upbeat"), ("silent", "energetic")])
def test_master_lands_on_minus_14_lufs_under_minus_1_dbtp(
        stimuli: dict[str, Path], tmp_path: Path, name: str, music: str | None) -> None:
    beds = {"upbeat": "upbeat_pop_120.opus", "energetic": "energetic_drive_128.opus"}
    plan = audio_plan(stimuli[name], music=beds[music] if music else None)
    gain = loudness_gain_db(plan, RenderFiles())
    run_ffmpeg(master_args(plan, RenderFiles(), gain, tmp_path / "master.wav"))
    lufs, peak = measure_loudness(tmp_path / "master.wav")
    assert abs(lufs - plan.target_lufs) <= 0.5, (lufs, peak, gain)
    assert peak <= -1.0, (lufs, peak, gain)


def test_bed_loops_without_a_click_or_gap(stimuli: dict[str, Path], tmp_path: Path) -> None:
    """A bed started 2 s before its end under a 6 s clip: around the loop point the clip's
    music is the bed's own end then its start, sample for sample (no gap, no click)."""
    plan = audio_plan(stimuli["silent"], music="luxe_velvet_100.opus")
    bed = plan.music
    assert bed is not None
    loop_s = 2.0
    plan = plan.model_copy(update={"music": bed.model_copy(update={"offset_ms": 17_200})})
    samples = read_mono(export_stems(plan, tmp_path).music)
    bed_samples = read_mono(Path(bed.path)) * 10 ** (bed.gain_db / 20)
    at, half = int(loop_s * 48000), 4800
    wrapped = np.concatenate([bed_samples[-half:], bed_samples[:half]])
    heard = samples[at - half: at + half]
    assert np.corrcoef(heard, wrapped)[0, 1] > 0.999
    assert np.abs(np.diff(heard)).max() <= np.abs(np.diff(wrapped)).max() * 1.05


@pytest.mark.parametrize("bed", ["upbeat_pop_120.opus", "energetic_drive_128.opus"])
def test_delivered_aac_stays_under_minus_1_dbtp_from_any_bed_offset(
        tmp_path: Path, bed: str) -> None:
    """Music only (the loudest master: ~16 dB of gain into the limiter), encoded as
    delivered (AAC-LC 128 kb/s): the true peak of the file, not of the master, holds
    from every bar the bed can start on. At a -1.6 dBFS ceiling the upbeat bed from
    2 s measured -0.90 dBTP after encoding."""
    footage = make_scene(tmp_path / "silent.mp4", seconds=8.0, size="480x270", speech=None,
                         plain=True)
    plan = audio_plan(footage, music=bed)
    for offset_ms in (0, 2000, 6000, 14000):
        assert plan.music is not None
        moved = plan.model_copy(update={"music": plan.music.model_copy(
            update={"offset_ms": offset_ms})})
        gain = loudness_gain_db(moved, RenderFiles())
        args = master_args(moved, RenderFiles(), gain, tmp_path / "m.m4a")
        codec = args.index("-c:a")
        args[codec + 1:codec + 2] = ["aac", "-b:a", "128k"]
        run_ffmpeg(args)
        lufs, peak = measure_loudness(tmp_path / "m.m4a")
        assert abs(lufs - plan.target_lufs) <= 0.5 and peak <= -1.0, (offset_ms, lufs, peak)
