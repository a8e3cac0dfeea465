"""Product-name correction figures for `clipcart bench`: precision and recall.

A labelled set of spoken utterances from a live-selling catalog (``CATALOG``): each
sentence is spoken by several voices (flite's CMU Arctic voices slt, rms, awb and
espeak-ng's en-us at two speeds), transcribed by tiny.en with the product's words
as vocabulary, exactly as `clipcart make` does, then corrected by
pipeline/speech/names.py against every catalog name. ``LABELLED`` says which catalog
names each sentence really speaks; near-misses ("a desk lamp", "the Liberty Bell")
speak none and must not be corrected.

- ``name_fix_precision``: corrections that put a spoken name where it was said,
  over all corrections made (1.0 when none were made);
- ``name_fix_recall``: spoken names Whisper misspelled that the correction spelled
  as the catalog does, over all spoken names Whisper misspelled;
- ``name_fix_utterances``, ``name_fix_needed``, ``name_fix_made``: the counts.

Voices are made at run time (flite and espeak-ng are Debian packages; the bench
skips a voice whose program is missing). Run: ``PYTHONPATH=. python -m bench.name_fix``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.models import Product
from pipeline.core.scripts import join_words
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.plan import product_terms
from pipeline.speech.names import catalog_names, correct_names
from pipeline.speech.transcribe import SAMPLE_RATE, TranscribeOptions, run_whisper

CATALOG = (
    Product(sku="LAMP-1", title="Aurora Desk Lamp", price=39, url="https://example.com/lamp",
            brand="Lumen & Co", keywords=("desk lamp", "dimmable")),
    Product(sku="PIN-1", title="Liberty Enamel Pin", price=9, url="https://example.com/pin",
            brand="Starboard", keywords=("enamel pin",)),
    Product(sku="BOTTLE-1", title="Trailhead Insulated Bottle", price=24,
            url="https://example.com/bottle", brand="Trailhead", keywords=("bottle",)),
    Product(sku="SCARF-1", title="Saffron Silk Scarf", price=49,
            url="https://example.com/scarf", brand="Maison Ocre", keywords=("silk scarf",)),
    Product(sku="SHOE-1", title="Kestrel Trail Runner", price=119,
            url="https://example.com/shoe", brand="Kestrel", keywords=("running shoe",)),
    Product(sku="SERUM-1", title="Zephyra Glow Serum", price=29, url="https://example.com/s"),
    Product(sku="SALTS-1", title="Halcyon Bath Salts", price=19, url="https://example.com/b"),
    Product(sku="TOTE-1", title="Marisol Linen Tote", price=35, url="https://example.com/t"),
    Product(sku="HAT-1", title="Nordvik Wool Beanie", price=25, url="https://example.com/h"),
    Product(sku="POT-1", title="Ottoline Ceramic Teapot", price=45, url="https://example.com/p"),
)


@dataclass(frozen=True)
class Utterance:
    """A sentence, the product the clip is made for, and the names it really speaks."""

    text: str
    sku: str
    names: tuple[str, ...]


LABELLED = (
    Utterance("Next up is the Aurora Desk Lamp, and it is only thirty nine dollars.",
              "LAMP-1", ("Aurora Desk Lamp",)),
    Utterance("Grab the Liberty Enamel Pin before they sell out tonight.", "PIN-1",
              ("Liberty Enamel Pin",)),
    Utterance("The Saffron Silk Scarf feels amazing on your skin.", "SCARF-1",
              ("Saffron Silk Scarf",)),
    Utterance("I run every morning in the Kestrel Trail Runner.", "SHOE-1",
              ("Kestrel Trail Runner",)),
    Utterance("This is the Trailhead Insulated Bottle, it keeps water cold all day.",
              "BOTTLE-1", ("Trailhead Insulated Bottle",)),
    # a live seller names other products of the catalog: not in the vocabulary prompt
    Utterance("And the Zephyra Glow Serum is back in stock.", "LAMP-1", ("Zephyra Glow Serum",)),
    Utterance("Also the Halcyon Bath Salts smell like lavender.", "PIN-1",
              ("Halcyon Bath Salts",)),
    Utterance("My favourite is the Marisol Linen Tote, it holds everything.", "SCARF-1",
              ("Marisol Linen Tote",)),
    Utterance("Pair it with the Nordvik Wool Beanie for winter.", "SHOE-1",
              ("Nordvik Wool Beanie",)),
    Utterance("Look at the Ottoline Ceramic Teapot, isn't it lovely?", "LAMP-1",
              ("Ottoline Ceramic Teapot",)),
    Utterance("The Aurora Desk Lamp looks great next to the Liberty Enamel Pin.", "BOTTLE-1",
              ("Aurora Desk Lamp", "Liberty Enamel Pin")),
    # near-misses: nothing here names a product, nothing may be corrected
    Utterance("Marisol is the name of my sister, she loves linen.", "TOTE-1", ()),
    Utterance("The glow on her skin came from a simple serum.", "LAMP-1", ()),
    Utterance("A kestrel is a small falcon that hovers over fields.", "PIN-1", ()),
    Utterance("Bath salts and a ceramic cup make a nice gift.", "SCARF-1", ()),
    Utterance("I need a new desk lamp for my office, something warm.", "LAMP-1", ()),
    Utterance("We visited the Liberty Bell in Philadelphia last summer.", "PIN-1", ()),
    Utterance("The aurora borealis was bright over the lake last night.", "LAMP-1", ()),
    Utterance("Meet me at the trailhead at seven and bring some water.", "BOTTLE-1", ()),
)
VOICES = (("flite", "slt"), ("flite", "rms"), ("flite", "awb"), ("espeak-ng", "150"),
          ("espeak-ng", "190"))
"""(program, voice or words per minute): CMU Arctic voices, and espeak-ng at two speeds."""


def speak(text: str, program: str, voice: str, out: Path) -> Path | None:
    """``text`` spoken to a WAV file, or None when the program is not installed."""
    if shutil.which(program) is None:
        return None
    if program == "flite":
        cmd = ["flite", "-voice", voice, "-t", text, "-o", str(out)]
    else:
        cmd = ["espeak-ng", "-v", "en-us", "-s", voice, "-w", str(out), text]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def load_16k(path: Path) -> np.ndarray:
    """A WAV as 16 kHz mono float32 (through the project's ffmpeg)."""
    raw = path.with_suffix(".f32")
    run_ffmpeg(["-y", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
                "-f", "f32le", str(raw)])
    return np.fromfile(raw, dtype=np.float32)


def score(rows: list[dict[str, object]]) -> dict[str, float | None]:
    """Precision and recall over per-utterance rows (see the module docstring); None
    when no voice could be made (neither flite nor espeak-ng installed)."""
    if not rows:
        return {"name_fix_precision": None, "name_fix_recall": None,
                "name_fix_utterances": 0, "name_fix_needed": 0, "name_fix_made": 0}
    made = sum(len(r["fixes"]) for r in rows)  # type: ignore[arg-type]
    right = sum(1 for r in rows for f in r["fixes"]  # type: ignore[attr-defined]
                if f in str(r["fixed"]) and any(  # a keyword inside a spoken title counts
                    f.casefold() in n.casefold() for n in r["names"]))  # type: ignore[attr-defined]
    needed = [(r, n) for r in rows for n in r["names"]  # type: ignore[attr-defined]
              if n not in str(r["heard"])]
    recovered = sum(1 for r, n in needed if n in str(r["fixed"]))
    return {"name_fix_precision": round(right / made, 3) if made else 1.0,
            "name_fix_recall": round(recovered / len(needed), 3) if needed else 1.0,
            "name_fix_utterances": len(rows), "name_fix_needed": len(needed),
            "name_fix_made": made}


def measure_name_fix(verbose: bool = False, voices: Sequence[tuple[str, str]] = VOICES,
                     utterances: int | None = None) -> dict[str, float | None]:
    """Speak, transcribe and correct every labelled utterance (the first ``utterances``
    when given) in every voice."""
    names = catalog_names(CATALOG)
    by_sku = {p.sku: p for p in CATALOG}
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="clipcart-namefix-") as tmp:
        for i, utt in enumerate(LABELLED[:utterances]):
            options = TranscribeOptions(model="tiny.en", language="en",
                                        vocabulary=tuple(product_terms(by_sku[utt.sku])))
            for program, voice in voices:
                wav = speak(utt.text, program, voice, Path(tmp) / f"{i}-{program}-{voice}.wav")
                if wav is None:
                    continue
                heard = run_whisper(load_16k(wav), "tiny.en", "en", options)
                fixed, fixes = correct_names(heard.words, names)
                row = {"voice": f"{program}:{voice}", "said": utt.text,
                       "words": [w.model_dump() for w in heard.words],
                       "names": list(utt.names),
                       "heard": join_words([w.text for w in heard.words]),
                       "fixed": join_words([w.text for w in fixed]),
                       "fixes": [f.spelled for f in fixes]}
                rows.append(row)
                if verbose:
                    print(json.dumps(row))
    return score(rows)


if __name__ == "__main__":
    print(json.dumps(measure_name_fix(verbose=True), indent=1))
