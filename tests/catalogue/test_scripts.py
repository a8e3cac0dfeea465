"""Caption scripts a real user may pass to `clipcart make --script`: each bad one ends in
one clear line naming the file (exit 2, nothing made); a good one becomes the captions.

Rejections run the real CLI in-process and stop at its first stage (fast); the clips
with a script are rendered for real from the bundled speech, kept small, marked slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.media.samples import CATALOG_CSV, make_scene
from pipeline.produce import MakeRequest, load_inputs
from pipeline.speech.script_file import MAX_SCRIPT_BYTES
from tests.catalogue.support import SKU, Untouched, cli, footage, make_args, no_output, rejected

SAID = ("This is the Trailhead Insulated Bottle. It keeps water ice cold all day, and the "
        "lid never leaks. Right now it's only twenty-four dollars. Grab yours from the "
        "link below.")
"""What assets/samples/speech.wav says, as its creator would write it."""
SRT = ("1\n00:00:00,000 --> 00:00:03,000\nThis is the Trailhead Insulated Bottle.\n\n"
       "2\n00:00:03,000 --> 00:00:08,000\nIt keeps water ice cold all day,\n"
       "and the lid never leaks.\n\n"
       "3\n00:00:08,000 --> 00:00:13,000\n<i>Right now it's only twenty-four dollars.</i>\n"
       "Grab yours from the link below.\n")


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s 320x240 test pattern with a tone (``support.footage``)."""
    return footage(tmp_path_factory.mktemp("footage") / "tone.mp4")


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("gone.txt", None, "file not found"),
    ("empty.txt", b"", "file is empty"),
    ("photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "not UTF-8 text"),
    ("huge.txt", b"said " * (MAX_SCRIPT_BYTES // 5 + 1), "larger than 1 MB"),
    ("broken.srt", b"1\n00:00:01 -> 00:00:02\nHello\n", "not valid SRT"),
])
def test_a_bad_script_is_one_line_naming_it(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, tone: Path, name: str,
                                            content: bytes | None, needle: str) -> None:
    script = tmp_path / name
    if content is not None:
        script.write_bytes(content)
    guard = Untouched(tmp_path, tone)
    result = cli(capsys, *make_args(tone, tmp_path / "out", "--script", script))
    rejected(result, name, needle)
    guard.check()
    no_output(tmp_path / "out")


def test_the_script_is_part_of_the_clip_id(tmp_path: Path, tone: Path) -> None:
    def clip_id(script: Path | None) -> str:
        return load_inputs(MakeRequest(footage=tone, catalog=CATALOG_CSV, sku=SKU,
                                       out_dir=tmp_path, script=script)).clip_id

    (tmp_path / "a.txt").write_text("Hello there.")
    (tmp_path / "b.txt").write_text("Hello there!")
    (tmp_path / "a.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nHello there.\n")
    ids = [clip_id(None), clip_id(tmp_path / "a.txt"), clip_id(tmp_path / "b.txt")]
    assert len(set(ids)) == 3
    assert clip_id(tmp_path / "a.srt") == ids[1]  # the same words, whatever the format


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """14 s 320x568 plain scene with the bundled English speech from 0.5 s."""
    return make_scene(tmp_path_factory.mktemp("talk") / "talk.mp4", seconds=14.0,
                      size="320x568", speech_at_s=0.5, plain=True)


def _srt_text(path: Path) -> str:
    blocks = path.read_text("utf-8").strip().split("\n\n")
    return " ".join(" ".join(b.split("\n")[2:]) for b in blocks)


@pytest.mark.slow
def test_srt_script_becomes_the_captions_word_for_word(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path, talk: Path) -> None:
    (tmp_path / "said.srt").write_text(SRT, "utf-8")
    result = cli(capsys, *make_args(talk, tmp_path / "out", "--script", tmp_path / "said.srt",
                                    "--duration", "15"))
    manifest = result.manifest()
    # the small test footage is upscaled (a warning of its own); nothing about the script
    assert [w for w in manifest["warnings"] if "upscaled" not in w] == [], manifest["warnings"]
    assert manifest["transcript"]["text"] == SAID
    # the bold template upper-cases what it shows; the words and punctuation are the script's
    assert _srt_text(Path(manifest["outputs"]["srt"])) == SAID.upper()
    plan = json.loads(Path(manifest["outputs"]["plan"]).read_text("utf-8"))
    shown = [w["text"] for cue in plan["captions"] for line in cue["lines"] for w in line]
    assert " ".join(shown).upper() == SAID.upper()
    starts = [w["start_ms"] for w in manifest["transcript"]["words"]]
    assert starts == sorted(starts) and starts[0] < 1500


@pytest.mark.slow
def test_a_script_for_other_footage_falls_back_with_a_warning(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, talk: Path) -> None:
    (tmp_path / "chair.txt").write_text("Welcome back! Today we unbox a folding camp chair "
                                        "with a cup holder and a carry bag.", "utf-8")
    result = cli(capsys, *make_args(talk, tmp_path / "out", "--script", tmp_path / "chair.txt",
                                    "--duration", "15"))
    manifest = result.manifest()
    warning = [w for w in manifest["warnings"] if w.startswith("script chair.txt: only ")]
    assert len(warning) == 1, manifest["warnings"]
    assert "ice cold" in manifest["transcript"]["text"]  # the recognised words
    assert "chair" not in Path(manifest["outputs"]["srt"]).read_text("utf-8")
