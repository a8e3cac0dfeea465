"""The ffmpeg argument list is a pure function of the plan, pinned by goldens."""

from __future__ import annotations

import json

import pytest

from pipeline.core.models import CropKey
from pipeline.produce import thumbnail_ms
from pipeline.render.audio import audio_graph
from pipeline.render.files import RenderFiles
from pipeline.render.graph import (
    encode_args,
    escape_filter_value,
    keyframe_times_ms,
    piecewise,
    render_args,
)
from tests.regen_goldens import GOLDENS, goldens
from tests.support.plans import SOURCE, plan


@pytest.mark.parametrize("name", ["render_args.json", "measure_args.json", "captions.ass.json"])
def test_matches_golden(name: str) -> None:
    expected = json.loads((GOLDENS / name).read_text())
    assert goldens()[name] == expected, f"regenerate with python -m tests.regen_goldens ({name})"


def test_piecewise_is_linear_between_keys_and_holds_after() -> None:
    keys = (CropKey(t_ms=0, x=0, y=0), CropKey(t_ms=2000, x=100, y=0))
    expr = piecewise(keys, "x")
    assert expr == "if(lt(t,2.000),0+(100)*(t-0.000)/2.000,100)"
    assert piecewise(keys, "y") == "0"


def test_paths_with_colons_and_quotes_are_escaped() -> None:
    assert escape_filter_value("/a b/c:d'e.ass") == r"'/a b/c\:d'\''e.ass'"


def test_one_process_one_graph_no_intermediate_files() -> None:
    args = render_args(plan(), RenderFiles(card_png="/c.png", ass="/a.ass"), 0.0, "/o.mp4")
    assert args.count("-filter_complex") == 1
    assert args[-1] == "/o.mp4"
    assert args.count("-i") == 3


def test_delivery_spec_encoder_settings() -> None:
    args = encode_args(plan())
    pairs = dict(zip(args[::2], args[1::2], strict=False))
    assert pairs["-profile:v"] == "high" and pairs["-pix_fmt"] == "yuv420p"
    assert pairs["-r"] == "30/1" and pairs["-fps_mode"] == "cfr"
    assert pairs["-flags"] == "+cgop" and pairs["-g"] == pairs["-keyint_min"] == "60"
    assert pairs["-ar"] == "48000" and pairs["-ac"] == "2" and pairs["-b:a"] == "128k"
    assert pairs["-movflags"] == "+faststart"


def test_no_audio_stream_and_no_music_gives_silence() -> None:
    p = plan().model_copy(update={"music": None,
                                  "source": SOURCE.model_copy(update={"has_audio": False})})
    chains = audio_graph(p, RenderFiles(), 0.0)
    assert chains[0].startswith("anullsrc=r=48000:cl=stereo")
    assert not any("[0:a]" in c for c in chains)


def test_music_only_when_footage_is_silent() -> None:
    p = plan().model_copy(update={"source": SOURCE.model_copy(update={"has_audio": False})})
    chains = audio_graph(p, RenderFiles(card_png="/c.png"), 0.0)
    assert "[music]anull[mix]" in chains
    assert not any("sidechaincompress" in c for c in chains)


def test_hdr_source_is_tonemapped_to_bt709() -> None:
    hdr = SOURCE.model_copy(update={"color_transfer": "arib-std-b67", "bit_depth": 10})
    args = render_args(plan().model_copy(update={"source": hdr}), RenderFiles(), 0.0, "/o.mp4")
    graph = args[args.index("-filter_complex") + 1]
    assert "tonemap=tonemap=hable" in graph and "zscale=t=bt709:m=bt709:r=tv" in graph


def test_a_planned_gain_holds_only_for_the_audio_it_was_measured_on() -> None:
    from pipeline.core.models import Window
    from pipeline.render.ffmpeg_engine import audio_key, decided_gain

    planned = plan().model_copy(update={"audio_gain_db": 7.5})
    assert decided_gain(planned) is None  # no digest: measured again
    planned = planned.model_copy(update={"audio_gain_for": audio_key(planned)})
    assert decided_gain(planned) == 7.5
    moved = planned.model_copy(update={"window": Window(start_ms=1000, end_ms=9000)})
    assert decided_gain(moved) is None
    assert decided_gain(planned.model_copy(update={"target_lufs": -16.0})) is None
    assert decided_gain(planned.model_copy(update={"captions": ()})) == 7.5


@pytest.mark.parametrize(("fields", "matrix", "full"), [
    ({"color_matrix": "bt709"}, "709", "limited"),
    ({"color_matrix": "smpte170m", "width": 720, "height": 480}, "170m", "limited"),
    ({"color_matrix": "bt470bg"}, "470bg", "limited"),
    ({"color_matrix": "", "width": 1920, "height": 1080}, "709", "limited"),  # unsaid HD
    ({"color_matrix": "", "width": 640, "height": 480}, "170m", "limited"),  # unsaid SD
    ({"color_matrix": "bt709", "color_range": "pc"}, "709", "full"),
    ({"color_matrix": "bt2020nc", "color_transfer": "smpte2084", "color_range": "pc"},
     "709", "limited"),  # HDR: tone-mapped to BT.709 limited before the scale
])
def test_the_scale_converts_the_footage_matrix_and_range_to_bt709_limited(
        fields: dict[str, object], matrix: str, full: str) -> None:
    from pipeline.render.graph import output_scale

    p = plan().model_copy(update={"source": SOURCE.model_copy(update=fields)})
    scale = output_scale(p)
    assert scale.startswith("zscale=w=1080:h=1920:filter=bicubic:")
    assert f":min={matrix}:rin={full}:m=709:r=limited:" in scale
    # transfer and primaries are declared equal: zimg never goes through linear light
    assert scale.endswith(":tin=709:t=709:pin=709:p=709")


def test_keyframes_every_two_seconds_of_the_clip() -> None:
    assert keyframe_times_ms(plan()) == [0, 2000, 4000, 6000, 8000, 10000, 12000, 14000]


def test_thumbnail_on_the_keyframe_nearest_the_settled_card() -> None:
    base = plan()
    card = base.card
    assert card is not None
    # card 1.5-6.5 s: settled 1.9-6.1 s, wanted 2.3 s -> the keyframe at 2 s
    assert thumbnail_ms(base) == 2000
    # a card between keyframes (0.5-1.8 s) -> 0.8 s into it, decoded from the GOP's start
    short = base.model_copy(update={"card": card.model_copy(update={"start_ms": 500,
                                                                     "end_ms": 1800})})
    assert thumbnail_ms(short) == 1300
    assert thumbnail_ms(base.model_copy(update={"card": None})) == 4000
