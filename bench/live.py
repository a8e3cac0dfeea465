"""Generated live-selling recordings with known pitches, for `clipcart slice` tests and bench.

A host (flite's slt voice, else espeak-ng) chats and pitches products of ``CATALOG``
(bench/name_fix.py's live-selling catalog) in turn; the picture is a flat set with
the product image drifting (ffmpeg lavfi), H.264 with a keyframe every 2 s as
streaming software writes it. ``make_live_recording`` returns the file and the
truth: where each pitch was spoken. Chit-chat never names a product, except one
aside naming a product without selling it (no clip is wanted for it).

Run: ``PYTHONPATH=. python -m bench.live OUT.mp4 MINUTES [WxH FPS PITCHES]`` (prints the
truth as JSON).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.name_fix import CATALOG
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import PRODUCT_PNG

PITCHES = {
    "LAMP-1": "Next up is the Aurora Desk Lamp. It has three warm tones and it dims all the "
              "way down. Today it is only thirty nine dollars. Tap the link and add it to "
              "your cart.",
    "SCARF-1": "Okay, this one is gorgeous, the Saffron Silk Scarf. Pure silk, hand rolled "
               "edges. It is forty nine dollars tonight, grab it before it sells out.",
    "SHOE-1": "Runners, this is for you, the Kestrel Trail Runner. Grippy sole, super light. "
              "Use code LIVE for twenty percent off, the link is right below.",
    "BOTTLE-1": "Let me show you the Trailhead Insulated Bottle. It keeps water cold for a "
                "whole day. Just twenty four dollars, click the link to order.",
    "SERUM-1": "My skin loves the Zephyra Glow Serum. A few drops every morning. It is "
               "twenty nine dollars, get yours in the cart now.",
    "TOTE-1": "This is the Marisol Linen Tote, it fits a laptop and groceries. Thirty five "
              "dollars, tap the link to buy it.",
    "POT-1": "And now the Ottoline Ceramic Teapot. It pours without a drip. Forty five "
             "dollars, limited stock, add it to your cart.",
    "HAT-1": "Winter is coming, so here is the Nordvik Wool Beanie. Soft merino wool. Only "
             "twenty five dollars, grab one from the link.",
}
CHAT = (
    "Hi everyone, welcome back to the stream, so happy to see you all here tonight.",
    "I see a lot of new names in the chat, say hello and tell me where you are watching from.",
    "It has been raining all day here, so I made a big pot of tea before we started.",
    "Someone asked about my weekend, I went hiking with my sister and it was lovely.",
    "Give me one second, I am just fixing the light over here, it keeps moving.",
    "Thank you so much for the follows, it really means a lot to the whole team.",
    "My dog is sleeping right behind the camera, you might hear him snore in a minute.",
    "Let me read a few comments. Maria says she watched last week too, welcome back Maria.",
    "We are going to do a little giveaway at the end of the night, so stay around.",
    "I tried a new recipe yesterday, pasta with lemon and a lot of garlic, so good.",
    "The music is a bit loud, is that better now? Tell me in the comments.",
    "Okay, somebody wants to know what I am drinking, it is just water, I promise.",
)
ASIDE = "By the way, my mum still talks about the Halcyon Bath Salts from her birthday."
PAUSE_S = 0.7
"""Silence between sentences."""


@dataclass(frozen=True)
class Spoken:
    """One stretch of the script: a pitch of ``sku`` or chit-chat (sku empty)."""

    sku: str
    start_ms: int
    end_ms: int
    text: str


def write_catalog(path: Path) -> Path:
    """The catalog as the CSV clipcart reads (products of bench/name_fix.py)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["sku", "title", "price", "currency", "url", "image", "brand", "keywords"])
        for p in CATALOG:
            out.writerow([p.sku, p.title, p.price, p.currency, p.url, str(PRODUCT_PNG),
                          p.brand, ",".join(p.keywords)])
    return path


def script(seconds: float, pitches: int) -> list[tuple[str, str]]:
    """(sku or '', sentence) in order: chat, then a pitch, then chat, ... filling about
    ``seconds`` at about 2.6 words a second; the aside once, in the middle."""
    chosen = list(PITCHES)[:pitches]
    words_per_s = 2.6
    chat_s = max(4.0, seconds / max(1, len(chosen)) - 16)
    lines: list[tuple[str, str]] = []
    k = 0
    for n, sku in enumerate(chosen):
        said = 0.0
        while said < chat_s:
            line = ASIDE if n == len(chosen) // 2 and said == 0 and n else CHAT[k % len(CHAT)]
            k += line != ASIDE
            lines.append(("", line))
            said += len(line.split()) / words_per_s + PAUSE_S
        lines.append((sku, PITCHES[sku]))
    while not chosen and sum(len(t.split()) for _, t in lines) / words_per_s < seconds - 8:
        lines.append(("", CHAT[k % len(CHAT)]))
        k += 1
    lines.append(("", CHAT[0].replace("welcome back to", "thanks for watching")))
    return lines


def speak(text: str, out: Path) -> Path:
    """One sentence as a 16 kHz mono WAV, by flite (slt) or espeak-ng."""
    if shutil.which("flite"):
        cmd = ["flite", "-voice", "slt", "-t", text, "-o", str(out)]
    elif shutil.which("espeak-ng"):
        cmd = ["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(out), text]
    else:
        raise RuntimeError("no voice program: apt-get install -y flite espeak-ng")
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def speech_track(lines: list[tuple[str, str]], work: Path, lead_s: float
                 ) -> tuple[Path, list[Spoken]]:
    """All lines spoken one after another with pauses: (WAV, where each line is)."""
    pieces, truth, at = [], [], lead_s
    for n, (sku, text) in enumerate(lines):
        wav = speak(text, work / f"line{n:04d}.wav")
        with wave.open(str(wav)) as audio:
            seconds = audio.getnframes() / audio.getframerate()
        truth.append(Spoken(sku, round(at * 1000), round((at + seconds) * 1000), text))
        pieces.append(wav)
        at += seconds + PAUSE_S
    listing = work / "lines.txt"
    listing.write_text("".join(f"file '{p}'\nfile '{work / 'pause.wav'}'\n" for p in pieces))
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i",
                f"anullsrc=r=16000:cl=mono:d={PAUSE_S}", str(work / "pause.wav")])
    out = work / "speech.wav"
    run_ffmpeg(["-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                "-ar", "16000", "-ac", "1", str(out)])
    return out, truth


def recording_args(speech: Path, out: Path, seconds: float, size: str, fps: int,
                   lead_s: float) -> list[str]:
    """ffmpeg arguments: flat set, drifting product, the speech after ``lead_s``."""
    w, h = (int(v) for v in size.split("x"))
    delay = round(lead_s * 1000)
    graph = (f"[1:v]scale=-2:{h * 3 // 5}[p];[0:v][p]overlay=x='{w}*0.3-w/2+{w // 12}*sin(t*0.6)'"
             f":y='(H-h)/2+{h // 30}*sin(t*1.3)':shortest=1,format=yuv420p[v];"
             f"[2:a]adelay={delay}|{delay},apad,atrim=duration={seconds}[a]")
    scene = f"color=c=0x2b1f4f:s={size}:r={fps}:d={seconds}"
    return ["-y", "-v", "error", "-f", "lavfi", "-i", scene,
            "-loop", "1", "-framerate", str(fps), "-i", str(PRODUCT_PNG), "-i", str(speech),
            "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
            "-preset", "ultrafast", "-crf", "28", "-g", str(2 * fps), "-c:a", "aac", "-b:a", "64k",
            "-ar", "48000", "-t", str(seconds), str(out)]


def make_live_recording(out: Path, seconds: float, pitches: int = 6, size: str = "640x360",
                        fps: int = 15) -> list[Spoken]:
    """Write the recording to ``out``; return where every line was spoken (pitches have
    a sku). Cached: an existing ``out`` with its ``.truth.json`` is reused."""
    truth_file = out.with_suffix(".truth.json")
    if out.exists() and truth_file.exists():
        return [Spoken(**s) for s in json.loads(truth_file.read_text())]
    lead_s = 1.5
    with tempfile.TemporaryDirectory(prefix="clipcart-live-") as tmp:
        speech, truth = speech_track(script(seconds - lead_s - 3, pitches), Path(tmp), lead_s)
        total = max(seconds, truth[-1].end_ms / 1000 + 2)
        run_ffmpeg(recording_args(speech, out, total, size, fps, lead_s), timeout_s=3600)
    truth_file.write_text(json.dumps([asdict(s) for s in truth]))
    return truth


if __name__ == "__main__":
    extra = sys.argv[3:] + ["640x360", "15", "6"][len(sys.argv[3:]):]
    spoken = make_live_recording(Path(sys.argv[1]), float(sys.argv[2]) * 60, size=extra[0],
                                 fps=int(extra[1]), pitches=int(extra[2]))
    print(json.dumps([asdict(s) for s in spoken if s.sku], indent=1))
