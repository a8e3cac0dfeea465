"""Music library and bed choice: real decoding of the bundled beds, analysis, choosing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import av
import numpy as np
import pytest

from pipeline.audio import music
from pipeline.audio.music import Track, analyse, choose_bed, default_music_dir, load_library
from pipeline.core.errors import ConfigError

MUSIC_DIR = default_music_dir()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the analysis cache in a fresh CLIPCART_HOME per test."""
    monkeypatch.setenv("CLIPCART_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def make_beds() -> ModuleType:
    """assets/music/make_beds.py imported by path (it is a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("make_beds", MUSIC_DIR / "make_beds.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_beds"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def library() -> tuple[Track, ...]:
    return load_library(MUSIC_DIR)


@pytest.fixture(scope="module")
def decoded(library: tuple[Track, ...]) -> dict[str, tuple[int, int, np.ndarray]]:
    """Each bed decoded with PyAV: (sample rate, channels, float samples [channels, n])."""
    out = {}
    for track in library:
        with av.open(str(track.path)) as container:
            stream = container.streams.audio[0]
            pcm = np.concatenate([f.to_ndarray() for f in container.decode(stream)], axis=1)
            out[track.path.name] = (stream.rate, stream.codec_context.channels, pcm)
    return out


def test_bundled_library_has_five_moods_of_cc0_beds(library: tuple[Track, ...]) -> None:
    assert len(library) >= 5
    assert {t.mood for t in library} >= {"chill", "warm", "luxe", "upbeat", "energetic"}
    assert len({t.bpm for t in library}) == len(library)
    assert all("CC0" in t.licence and t.downbeat_ms == 0 for t in library)
    assert sum(t.path.stat().st_size for t in library) < 2_500_000


def test_beds_decode_as_48k_stereo_of_the_stated_length(
        library: tuple[Track, ...], decoded: dict[str, tuple[int, int, np.ndarray]]) -> None:
    for track in library:
        rate, channels, pcm = decoded[track.path.name]
        assert (rate, channels) == (48_000, 2)
        assert abs(pcm.shape[1] / 48 - track.duration_ms) <= 1
        whole_bars = track.duration_ms / track.bar_ms
        assert abs(whole_bars - round(whole_bars)) < 1e-3, track.path.name


def test_measured_bpm_is_within_2_percent_and_downbeat_on_the_beat(
        library: tuple[Track, ...]) -> None:
    for track in library:
        found = analyse(track.path)
        assert abs(found.bpm - track.bpm) / track.bpm < 0.02, (track.path.name, found.bpm)
        beat_ms = track.bar_ms / 4
        off_beat = found.downbeat_ms % beat_ms
        assert min(off_beat, beat_ms - off_beat) < 30, (track.path.name, found.downbeat_ms)


def test_beds_loop_without_a_click(decoded: dict[str, tuple[int, int, np.ndarray]]) -> None:
    """The last-to-first sample step is small against RMS (cutting these beds at
    arbitrary points gives steps of 0.1-2.5 x RMS; the true loop points give < 0.1)."""
    for name, (_, _, pcm) in decoded.items():
        mono = pcm.mean(axis=0).astype(np.float64)
        rms = float(np.sqrt(np.mean(mono**2)))
        jump = abs(mono[0] - mono[-1])
        assert jump < 0.12 * rms, (name, jump, rms)


def test_beds_have_bass_and_highs(decoded: dict[str, tuple[int, int, np.ndarray]]) -> None:
    for name, (rate, _, pcm) in decoded.items():
        power = np.abs(np.fft.rfft(pcm.mean(axis=0))) ** 2
        freqs = np.fft.rfftfreq(pcm.shape[1], 1.0 / rate)
        assert power[freqs < 200].sum() / power.sum() > 0.05, name
        assert power[freqs > 4000].sum() / power.sum() > 0.005, name
        peak = float(np.max(np.abs(pcm)))
        assert 0.3 < peak < 1.0, name


def test_untagged_track_is_analysed_and_cached(
        tmp_path: Path, make_beds: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 110 bpm bed rendered by make_beds, dropped into a folder without library.yaml."""
    folder = tmp_path / "music"
    folder.mkdir()
    base = make_beds.BEDS[3]
    spec = type(base)(**{**base.__dict__, "bpm": 110, "bars": 6, "name": "mine"})
    make_beds.encode(make_beds.render_bed(spec), folder / "my_song.opus")
    (track,) = load_library(folder)
    assert abs(track.bpm - 110) / 110 < 0.02
    assert (track.mood, track.title) == ("untagged", "my song")
    cached = list((tmp_path / "home" / "music").glob("*.json"))
    assert len(cached) == 1
    assert json.loads(cached[0].read_text())["analysis"]["bpm"] == track.bpm

    def refuse(path: Path) -> None:
        raise AssertionError("analysed again instead of using the cache")

    monkeypatch.setattr(music, "analyse", refuse)
    assert load_library(folder) == (track,)


def test_choose_bed_is_deterministic_and_respects_mood(library: tuple[Track, ...]) -> None:
    for mood in ("chill", "warm", "luxe", "upbeat", "energetic"):
        picks = {choose_bed(library, mood, seed=f"clip{i}") for i in range(12)}
        assert picks == {choose_bed(library, mood, seed=f"clip{i}") for i in range(12)}
        for bed in picks:
            assert bed is not None
            track = next(t for t in library if str(t.path) == bed.path)
            assert track.mood == mood
            bars = (bed.offset_ms - track.downbeat_ms) / track.bar_ms
            assert abs(bars - round(bars)) * track.bar_ms <= 1
            assert bed.offset_ms + music.CLIP_MS <= track.duration_ms
    offsets = {choose_bed(library, "energetic", seed=f"c{i}").offset_ms  # type: ignore[union-attr]
               for i in range(20)}
    assert len(offsets) > 1


def test_choose_bed_falls_back_and_filters(library: tuple[Track, ...]) -> None:
    no_luxe = tuple(t for t in library if t.mood != "luxe")
    bed = choose_bed(no_luxe, "luxe", seed="x", gain_db=-20.0)
    assert bed is not None and bed.gain_db == -20.0
    assert next(t for t in library if str(t.path) == bed.path).mood == "warm"
    assert choose_bed(library, "polka", seed="x") is not None
    fast = choose_bed(library, "chill", seed="x", bpm_range=(125, 130))
    assert fast is not None and "128" in fast.path
    assert choose_bed((), "chill", seed="x") is None


@pytest.mark.parametrize(("yaml_text", "needles"), [
    ("tracks:\n  - file: a.opus\n    bpm: fast\n", ["library.yaml", "entry 1", "'bpm'"]),
    ("tracks:\n  - file: a.opus\n    moood: chill\n", ["entry 1", "'moood'"]),
    ("tracks:\n  - file: missing.opus\n    bpm: 90\n", ["entry 1", "'file'", "missing.opus"]),
    ("tracks: [file: a.opus\n", ["library.yaml", "not valid YAML"]),
    ("- file: a.opus\n", ["library.yaml", "tracks"]),
])
def test_bad_library_yaml_raises_config_error(tmp_path: Path, yaml_text: str,
                                              needles: list[str]) -> None:
    (tmp_path / "a.opus").write_bytes((MUSIC_DIR / "luxe_velvet_100.opus").read_bytes())
    (tmp_path / "library.yaml").write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load_library(tmp_path)
    text = caught.value.one_line()
    assert all(needle in text for needle in needles), text
    assert caught.value.hint


def test_offset_leaves_room_for_the_clip_length(library: tuple[Track, ...]) -> None:
    track = next(t for t in library if t.mood == "luxe")  # 19.2 s, 2.4 s bars
    for i in range(20):
        long_clip = choose_bed([track], "luxe", seed=f"s{i}", clip_ms=15_000)
        short_clip = choose_bed([track], "luxe", seed=f"s{i}", clip_ms=6_000)
        assert long_clip is not None and short_clip is not None
        assert long_clip.offset_ms + 15_000 <= track.duration_ms
        assert short_clip.offset_ms + 6_000 <= track.duration_ms
        assert short_clip.offset_ms % 2400 == 0
    offsets = {choose_bed([track], "luxe", seed=f"s{i}", clip_ms=6_000).offset_ms  # type: ignore[union-attr]
               for i in range(40)}
    assert max(offsets) > 19_200 - 15_000  # short clips use bars a 15 s clip cannot
