"""Make bench/data/onsets_en.opus and onsets_en.json: speech with known word onsets.

Each word of the known text is synthesised alone by espeak-ng (so its onset is
unambiguous: the first 10 ms frame above -40 dBFS in the isolated word), then the
words are joined with 80 ms gaps (400 ms after a sentence end). The JSON records
where each word starts in the joined track. Run once (needs `apt-get install
espeak-ng`); the outputs are committed, so the bench needs no apt package:

    PYTHONPATH=. python -m bench.make_onset_speech
"""

from __future__ import annotations

import io
import json
import subprocess
import wave
from pathlib import Path

import numpy as np

from bench.captions import KNOWN_TEXT
from pipeline.media.ffmpeg import run_ffmpeg

RATE = 22050
OUT = Path(__file__).parent / "data"


def synth(word: str) -> np.ndarray:
    """One word from espeak-ng as float samples, silence trimmed at both ends."""
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "--stdout", word],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16) / 32768.0
    frames = samples[: len(samples) // 220 * 220].reshape(-1, 220)
    loud = np.flatnonzero(np.sqrt((frames ** 2).mean(axis=1)) > 0.01)
    return samples[loud[0] * 220:(loud[-1] + 1) * 220]


def main() -> None:
    parts, onsets, t = [np.zeros(RATE // 2)], [], RATE // 2
    for word in KNOWN_TEXT.split():
        audio = synth(word.strip(".,"))
        onsets.append({"word": word, "start_ms": round(t * 1000 / RATE)})
        gap = np.zeros(int(RATE * (0.4 if word.endswith(".") else 0.08)))
        parts += [audio, gap]
        t += len(audio) + len(gap)
    pcm = (np.concatenate(parts) * 32767).astype(np.int16)
    OUT.mkdir(exist_ok=True)
    raw = OUT / "onsets_en.wav"
    with wave.open(str(raw), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    run_ffmpeg(["-y", "-v", "error", "-i", str(raw), "-ar", "16000", "-ac", "1", "-c:a",
                "libopus", "-b:a", "32k", "-map_metadata", "-1", str(OUT / "onsets_en.opus")])
    raw.unlink()
    (OUT / "onsets_en.json").write_text(json.dumps(onsets, indent=1) + "\n")


if __name__ == "__main__":
    main()
