"""Overlays off the face, judged from the rendered frames (issue 23).

Footage: a real face (scikit-image's astronaut photograph, see tests/support/faces.py)
filling a hand-held talking-head recording, placed in different parts of the frame.
Each clip is planned by the pipeline (analysis, framing, placement; the transcript is
given, not transcribed) and rendered by the ffmpeg engine; then sampled frames are
judged without the plan: OpenCV's face detector against tesseract's word boxes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.core.models import ClipPlan, Transcript, Window, Word
from pipeline.media.samples import CATALOG_CSV, DEMO_SKU
from pipeline.plan import Settings
from pipeline.produce import MakeRequest, analyse_stage, frame_stage, load_inputs, plan_stage
from pipeline.render import render
from tests.support.faces import astronaut_png, face_footage
from tests.support.judge import have_tesseract, judge, sample_frames
from tests.support.plans import WORDS

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(astronaut_png() is None,
                                 reason="needs scikit-image's astronaut.png (dev extra)")]
needs_ocr = pytest.mark.skipif(not have_tesseract(),
                               reason="needs tesseract (apt-get install tesseract-ocr)")


CLIP_MS = 7000
"""Clip length: long enough for several cue changes and the card's 3 s, short enough to
render six face cases in well under a minute."""
FOOTAGE_S = 7.5
OCR_FRAMES = 12
"""Frames OCR'd per clip, one every 0.58 s (tesseract: about 0.6 CPU-s a frame): the
card's 3 s fall on five of them, and a caption cue of 0.6 s or more on at least one."""


def _transcript() -> Transcript:
    """The bottle pitch twice over (0.4-13.3 s), in the footage timeline."""
    words = [*WORDS, *(w.model_copy(update={"start_ms": w.start_ms + 7000,
                                            "end_ms": w.end_ms + 7000}) for w in WORDS)]
    return Transcript(text=" ".join(w.text for w in words), language="en",
                      words=tuple(Word.model_validate(w.model_dump()) for w in words))


def make_clip(footage: Path, out: Path, template: str, layout: str = "") -> tuple[ClipPlan,
                                                                                   list[str]]:
    """Plan (window = the first CLIP_MS) and render ``footage`` into ``out``."""
    settings = Settings(layout=layout)
    inputs = load_inputs(MakeRequest(footage=footage, catalog=CATALOG_CSV, sku=DEMO_SKU,
                                     out_dir=out.parent, template=template, settings=settings))
    transcript = _transcript()
    visuals = analyse_stage(inputs.info, transcript, settings)
    window = Window(start_ms=0, end_ms=CLIP_MS)
    framing = frame_stage(inputs.info, window, visuals, inputs.template, settings)
    plan, warnings = plan_stage(inputs, transcript, window, (), framing, None,
                                tuple(visuals.cuts_in(window)))
    render(plan, out)
    return plan, warnings


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faces")


@pytest.fixture(scope="module")
def wide(folder: Path) -> Path:
    """1280x720 face footage, face centred a little low: the fit case's input, and the
    source the tiny case scales down."""
    return face_footage(folder / "wide.mp4", face_x=0.5, face_y=0.45, face_h=0.3,
                        seconds=FOOTAGE_S)


@needs_ocr
@pytest.mark.parametrize(("name", "template", "face"), [
    ("centre", "minimal", {"face_x": 0.5, "face_y": 0.42, "face_h": 0.38}),
    ("low-left", "luxe", {"face_x": 0.4, "face_y": 0.62, "face_h": 0.3}),
    # portrait footage cannot fall back to fit: below the face there is room for the bold
    # card or two caption lines, so the card shrinks and the captions stack on it
    ("portrait-high", "bold", {"face_x": 0.5, "face_y": 0.3, "face_h": 0.22,
                               "size": "720x1280"}),
])
def test_no_text_on_the_face(folder: Path, name: str, template: str,
                             face: dict[str, object]) -> None:
    """At most 1 of 12 frames has an OCR'd word on a detected face."""
    footage = face_footage(folder / f"{name}.mp4", seconds=FOOTAGE_S,
                           **face)  # type: ignore[arg-type]
    plan, _ = make_clip(footage, folder / f"{name}-clip.mp4", template)
    verdicts = judge(folder / f"{name}-clip.mp4", OCR_FRAMES)
    with_face = [v for v in verdicts if v.faces]
    covered = [(v.t_s, v.words) for v in verdicts if v.covered]
    assert len(with_face) >= OCR_FRAMES * 2 // 3, (
        f"the face should stay detectable: {len(with_face)} of {OCR_FRAMES}")
    assert len(covered) <= 1, (plan.layout, [p.reason for p in plan.placements], covered)
    assert any(v.words for v in verdicts), "OCR read no text at all: the judge is blind"


def test_serum_like_face_stays_visible(folder: Path) -> None:
    """Face high in the frame, bold template (card top first): the face is found in at
    least 8 of 10 frames of the clip (the card no longer lands on the head)."""
    footage = face_footage(folder / "serum.mp4", face_x=0.5, face_y=0.33, face_h=0.3,
                           seconds=FOOTAGE_S)
    plan, _ = make_clip(footage, folder / "serum-clip.mp4", "bold")
    verdicts = judge(folder / "serum-clip.mp4", 10, ocr=False)
    assert sum(bool(v.faces) for v in verdicts) >= 8, [p.reason for p in plan.placements]
    card = next(p for p in plan.placements if p.overlay == "card")
    assert card.on_subject == 0, card.reason  # wherever it went, not on the head


def test_fit_is_sharp_between_blurred_bands(folder: Path, wide: Path) -> None:
    """--layout fit: the whole 16:9 frame at full width, sharp, between blurred, darker
    bands; 1080x1920 and the picture where the plan says."""
    plan, _ = make_clip(wide, folder / "wide-clip.mp4", "minimal", layout="fit")
    assert plan.layout == "fit"
    _, rgb = sample_frames(folder / "wide-clip.mp4", 3)[1]
    assert rgb.shape == (1920, 1080, 3)
    grey = rgb.mean(axis=2)
    top = (1920 - 608) // 2 // 2 * 2
    picture, band = grey[top + 20:top + 588, 40:1040], grey[1300:1900, 40:1040]

    def sharpness(a: np.ndarray) -> float:
        return float(np.var(np.diff(a, axis=0)) + np.var(np.diff(a, axis=1)))

    assert sharpness(picture) > 5 * sharpness(band)
    assert band.mean() < picture.mean()


def test_tiny_footage_warns_that_it_is_upscaled(folder: Path, wide: Path) -> None:
    """176x144 footage is still made, with the upscale in the warnings."""
    from pipeline.media.ffmpeg import run_ffmpeg

    tiny = folder / "tiny.mp4"
    run_ffmpeg(["-y", "-v", "error", "-i", str(wide), "-vf", "scale=176:144,setsar=1",
                "-c:a", "copy", str(tiny)])
    _, warnings = make_clip(tiny, folder / "tiny-clip.mp4", "minimal", layout="crop")
    assert any("footage is 176x144: upscaled 13.3x" in w and "soft" in w for w in warnings)
    assert (folder / "tiny-clip.mp4").stat().st_size > 0
