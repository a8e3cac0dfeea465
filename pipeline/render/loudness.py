"""Landing the master on the loudness target when the limiter takes some of it.

The first pass measures the unmastered mix; ``target - measured`` is the gain.
A mix with a high peak-to-loudness ratio then meets the true-peak limiter,
which shaves peaks and with them some loudness (measured: up to 1.2 LU on a
speech + music clip). So the mastered audio is measured once more, audio only,
and the shortfall added to the gain, still a single linear gain in the render.
"""

from __future__ import annotations

import math

from pipeline.core.models import ClipPlan
from pipeline.media.ffmpeg import run_ffmpeg_pcm
from pipeline.media.meter import measure
from pipeline.render.audio import LIMIT_LINEAR
from pipeline.render.files import RenderFiles
from pipeline.render.graph import metered_mix_args

TOLERANCE_LU = 0.1
"""Residual small enough to stop correcting (the delivery tolerance is 0.5 LU)."""
MAX_MEASUREMENTS = 3
MAX_BOOST_DB = 3.0
"""Never chase more than this past the first estimate (a mix the limiter crushes)."""


MIX_CHANNELS = 2
"""The mix is stereo whatever the footage had (``pipeline.render.audio``)."""


def metered(args: list[str]) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of an audio pass built by ``metered_mix_args``."""
    return measure(run_ffmpeg_pcm(args), MIX_CHANNELS)


def mastered_lufs(plan: ClipPlan, files: RenderFiles, gain_db: float) -> float:
    """Integrated loudness of the mastered audio at ``gain_db``."""
    return metered(metered_mix_args(plan, files, gain_db))[0]


def limiter_corrected_gain_db(plan: ClipPlan, files: RenderFiles, gain_db: float,
                              peak_dbtp: float) -> float:
    """``gain_db`` raised by what the limiter took, from at most MAX_MEASUREMENTS passes.

    ``peak_dbtp`` is the unmastered mix's true peak: when the gain keeps it under the
    limiter's ceiling nothing is taken and nothing is measured. A dB of gain never buys
    more than a dB of loudness through a limiter, so adding the shortfall each time
    approaches the target from below and never overshoots.
    """
    if peak_dbtp + gain_db <= 20 * math.log10(LIMIT_LINEAR):
        return gain_db
    gain = gain_db
    for _ in range(MAX_MEASUREMENTS):
        shortfall = plan.target_lufs - mastered_lufs(plan, files, gain)
        if shortfall <= TOLERANCE_LU or gain >= gain_db + MAX_BOOST_DB:
            break
        gain = min(gain + shortfall, gain_db + MAX_BOOST_DB)
    return gain
