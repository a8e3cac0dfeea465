"""Layout (crop/fit/auto), overlay placement and the platforms' UI zones, on known inputs.

Subjects are given as boxes in output pixels (what reframing hands placement), so each
rule is checked without decoding video; tests/e2e/test_overlays_off_faces.py judges
rendered frames of real face footage.
"""

from __future__ import annotations

from pipeline.brand.templates import load_template
from pipeline.captions.cues import to_ass
from pipeline.core.models import CaptionCue, CaptionWord, CardSpec, CropKey, CropPath, MediaInfo
from pipeline.footage.layout import Framing, SubjectBox, decide, fit_picture, soft_warning
from pipeline.footage.placement import covered_share, place_overlays, with_room
from pipeline.footage.reframe import Sample
from pipeline.publish.platforms import (
    PLATFORMS,
    SAFE_X,
    SAFE_Y,
    UI_ZONES,
    safe_area,
    zone_problems,
)
from pipeline.render.files import RenderFiles
from pipeline.render.graph import video_graph
from tests.support.plans import plan as golden_plan

CROP = CropPath(width=404, height=720, points=(CropKey(t_ms=0, x=438, y=0),))


def _info(w: int, h: int) -> MediaInfo:
    return MediaInfo(path="/f.mp4", size_bytes=1, duration_ms=20000, has_video=True,
                     has_audio=True, width=w, height=h, fps="30/1")


def _cue(start: int, end: int, text: str = "It keeps water ice cold") -> CaptionCue:
    words = tuple(CaptionWord(text=t, start_ms=start, end_ms=end) for t in text.split())
    return CaptionCue(start_ms=start, end_ms=end, lines=(words,))


def _card() -> CardSpec:
    return CardSpec(title="Bottle", price_text="$24", start_ms=1000, end_ms=5000,
                    width=744, height=300)


def _framing(face: tuple[int, int, int, int] | None, layout: str = "crop") -> Framing:
    boxes = tuple(SubjectBox(t, face, face is not None) for t in range(0, 15000, 250))
    return Framing(layout, CROP, (), boxes)  # type: ignore[arg-type]


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return (min(a[0] + a[2], b[0] + b[2]) > max(a[0], b[0])
            and min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1]))


def test_zone_table_gives_the_documented_all_platform_safe_zone() -> None:
    assert set(UI_ZONES) == set(PLATFORMS) and all(z.source for z in UI_ZONES.values())
    assert (SAFE_X, SAFE_Y) == ((120, 888), (288, 1248))
    assert safe_area(("youtube",)) != safe_area()
    assert zone_problems((120, 1100, 768, 300), "tiktok") == "under the bottom interface"
    assert zone_problems((120, 1000, 768, 300), "tiktok") == ""
    assert zone_problems((120, 1000, 768, 300), "tiktok-shop") == "under the bottom interface"


def test_face_high_sends_the_card_down_and_captions_never_cover_the_card() -> None:
    template = load_template("bold")  # card: top first
    face = (340, 300, 400, 400)
    cues, card, placements = place_overlays(_framing(face), template,
                                            [_cue(0, 900), _cue(5200, 7000)], _card(),
                                            safe_area())
    assert card is not None and card.y > 700
    card_rect = (card.x, card.y, card.width, card.height)
    for p in placements:
        rect = (p.x, p.y, p.width, p.height)
        assert not _overlaps(rect, face), p.reason
        assert SAFE_X[0] <= p.x and p.x + p.width <= SAFE_X[1]
        assert SAFE_Y[0] <= p.y and p.y + p.height <= SAFE_Y[1]
        if p.overlay == "captions" and p.start_ms < card.end_ms and card.start_ms < p.end_ms:
            assert not _overlaps(rect, card_rect)
    assert [c.margin_v for c in cues] == [1920 - (p.y + p.height) for p in placements[1:]]
    assert covered_share(placements) == 0


def test_face_low_sends_captions_up_and_each_cue_keeps_one_place() -> None:
    template = load_template("luxe")  # captions: lower first
    face = (300, 900, 420, 380)
    cues, _, placements = place_overlays(_framing(face), template,
                                         [_cue(6000, 8000), _cue(8000, 9000)], None,
                                         safe_area())
    assert [p.slot for p in placements] == ["upper", "upper"]
    assert len(placements) == len(cues)  # one placement per cue: nothing jumps within one
    assert "covers the face in 0 of" in placements[0].reason


def test_without_a_subject_the_template_order_decides() -> None:
    template = load_template("minimal")  # captions upper first, card bottom first
    _, card, placements = place_overlays(_framing(None), template, [_cue(0, 900)], _card(),
                                         safe_area())
    assert card is not None and card.y + card.height == SAFE_Y[1]
    assert placements[1].slot == "upper" and "no subject" in placements[1].reason


def test_room_above_a_face_covers_the_hair() -> None:
    x, y, w, h = with_room((100, 500, 200, 200))
    assert y < 500 - 100 and y + h > 700 and x < 100 and x + w > 300


def test_ass_places_each_cue_at_its_own_margin() -> None:
    style = load_template("minimal").caption
    ass = to_ass([_cue(0, 900).model_copy(update={"margin_v": 1466})], style)
    assert ",Caption,,0,0,1466,," in ass


def test_auto_layout_reasons() -> None:
    wide = _info(640, 270)
    crop = CropPath(width=152, height=270, points=(CropKey(t_ms=0, x=244, y=0),))
    layout, why = decide(wide, crop, [Sample(0, 0.5, 0.5, "motion")], "auto")
    assert layout == "fit" and "upscale" in why
    hd = _info(1920, 1080)
    crop = CropPath(width=606, height=1080, points=(CropKey(t_ms=0, x=657, y=0),))
    two = [Sample(t, 0.5, 0.4, "face", (0.1, 0.3, 0.1, 0.2), 0.8) for t in range(0, 4000, 250)]
    assert decide(hd, crop, two, "auto")[0] == "fit"
    one = [Sample(t, 0.5, 0.4, "face", (0.45, 0.3, 0.1, 0.2)) for t in range(0, 4000, 250)]
    assert decide(hd, crop, one, "auto") == ("crop",
                                             "layout crop (auto): the subject can be followed")
    jumpy = [Sample(t, (t // 250) % 2 * 0.9 + 0.05, 0.5, "motion") for t in range(0, 4000, 250)]
    layout, why = decide(hd, crop, jumpy, "auto")
    assert layout == "fit" and "steadily" in why
    assert decide(hd, crop, jumpy, "crop")[0] == "crop"
    assert decide(_info(720, 1280), crop, jumpy, "auto")[0] == "crop"


def test_soft_warning_names_the_size_and_factor() -> None:
    assert soft_warning(_info(176, 144), 1920 / 144) == [
        "footage is 176x144: upscaled 13.3x, the clip will look soft"]
    assert soft_warning(_info(1920, 1080), 1.78) == []


def test_fit_graph_is_one_chain_with_a_blurred_fill() -> None:
    plan = golden_plan()
    w, h = plan.source.display_size
    fit = plan.model_copy(update={"layout": "fit", "crop": CropPath(
        width=w, height=h, points=(CropKey(t_ms=0, x=0, y=0),))})
    graph = ";".join(video_graph(fit, RenderFiles(card_png="/c.png", ass="/a.ass")))
    assert fit_picture(plan.source) == (0, 656, 1080, 608)
    assert "zscale=w=1080:h=608" in graph and "split[fg][fill]" in graph
    assert "boxblur" in graph and "[bg][fg]overlay=x=0:y=656[fit]" in graph
    assert "[fit][card]overlay" in graph and "crop=w=606" not in graph


def test_high_face_in_portrait_gets_a_smaller_card_with_the_captions_stacked_on_it() -> None:
    """The portrait-high case of tests/e2e/test_overlays_off_faces.py: below the face there
    is room for the bold card or two caption lines, not both at full size."""
    template = load_template("bold")  # card 744x340, captions 222 px for two lines
    face = (327, 395, 435, 435)  # bottom at 830 of the 1248 the safe zone ends at
    card = _card().model_copy(update={"width": 744, "height": 340})
    two_lines = _cue(1000, 3000).model_copy(update={"lines": (
        tuple(CaptionWord(text=t, start_ms=1000, end_ms=3000) for t in ("IT", "KEEPS")),
        tuple(CaptionWord(text=t, start_ms=1000, end_ms=3000) for t in ("ICE", "COLD")))})
    _, _, plain = place_overlays(_framing(face), template, [two_lines], card, safe_area())
    assert covered_share(plain) > 0  # without compact placement, the captions go on the face
    cues, placed, placements = place_overlays(_framing(face), template, [two_lines], card,
                                              safe_area(), compact=True)
    assert placed is not None and placed.height < 340 and placed.y > 830
    assert "smaller card" in placements[0].reason
    assert placements[1].slot == "lower-stacked"
    for p in placements:
        assert not _overlaps((p.x, p.y, p.width, p.height), face), p.reason
        assert p.y + p.height <= SAFE_Y[1]
    assert placements[1].y + placements[1].height <= placed.y
    assert cues[0].margin_v == 1920 - placed.y


def test_platforms_that_leave_every_platforms_area_are_recorded_as_all() -> None:
    """Clip ids of clips for every platform (or a set with the same area) do not change."""
    from pipeline.plan import Settings, clip_id_for
    from pipeline.publish.platforms import placement_platforms
    from tests.unit.products.test_locale_words import cup

    assert placement_platforms(("youtube",)) == ("youtube",)
    assert placement_platforms(("youtube", "instagram", "nope")) == ("instagram", "youtube")
    assert placement_platforms(("tiktok", "instagram")) == ()
    assert placement_platforms(("youtube", "tiktok-shop")) == ()
    bold = load_template("bold")
    assert clip_id_for("f", cup(), bold, Settings(), "") == \
        clip_id_for("f", cup(), bold, Settings(platforms=()), "")
    assert clip_id_for("f", cup(), bold, Settings(platforms=("youtube",)), "") != \
        clip_id_for("f", cup(), bold, Settings(), "")


def test_a_clip_for_youtube_only_may_use_youtubes_larger_area() -> None:
    template = load_template("minimal")  # card bottom first
    _, card, _ = place_overlays(_framing(None), template, [], _card(), safe_area(("youtube",)))
    assert card is not None and card.y + card.height == 1920 - UI_ZONES["youtube"].bottom
    assert card.y + card.height > SAFE_Y[1]


def test_overlay_verdicts_name_the_overlays_under_each_interface() -> None:
    from pipeline.core.models import OverlayPlacement
    from pipeline.qc import overlay_verdicts

    low = OverlayPlacement(overlay="card", start_ms=1000, end_ms=5000, slot="bottom", x=120,
                           y=1140, width=744, height=300, reason="")
    plan = golden_plan().model_copy(update={"placements": (low,)})
    youtube, tiktok = overlay_verdicts(plan, ("youtube", "tiktok"))
    assert youtube.passed and not youtube.problems
    assert not tiktok.passed
    assert tiktok.problems == ("card 1.0-5.0 s at x 120, y 1140, 744x300: under the bottom "
                               "interface",)
