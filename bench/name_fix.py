"""Product-name correction figures for `clipcart bench`: precision and recall.

Six labelled sets of spoken utterances (bench/name_fix_sets.py), each its own
catalog, sentences and voices, written one after another: ``TUNING``, the one
pipeline/speech/names.py's thresholds were first chosen on; ``HELD_OUT``, ``FRESH``,
``FRESH2`` and ``FRESH3``, each written before a change to the matcher and measured
after it (their failures then shaped the next change, so they are no longer clean);
and ``FRESH4``, written after the last matcher change and measured once. Each
sentence is spoken by each of its set's voices (flite, espeak-ng), transcribed by
tiny.en with the product's words as vocabulary and corrected against every name of
its set's catalog with the audio asked, exactly as `clipcart make` does. Each
utterance says which catalog names it really speaks; near-misses speak none and must
not be corrected.

- ``name_fix_precision``: corrections that put a spoken name where it was said (the
  name, or a keyword inside it, is said in the sentence, and the corrected transcript
  spells it no more often than the sentence says it), over all corrections made (1.0
  when none were made), on ``FRESH4``;
- ``name_fix_recall``: spoken names Whisper misspelled that the correction spelled
  as the catalog does, over all spoken names Whisper misspelled, on that set;
- ``name_fix_utterances``, ``name_fix_needed``, ``name_fix_made``: its counts;
- the same five with ``name_fix_heldout4_`` (``FRESH3``), ``name_fix_heldout3_``
  (``FRESH2``), ``name_fix_heldout2_`` (``FRESH``), ``name_fix_heldout1_``
  (``HELD_OUT``) and ``name_fix_tuning_`` in place of ``name_fix_`` for the other sets.

Voices are made at run time (flite and espeak-ng are Debian packages; the bench
skips a voice whose program is missing). Run: ``PYTHONPATH=. python -m bench.name_fix``
(``--rows FILE`` also writes every utterance's row as JSON lines).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.name_fix_sets import (
    FRESH,
    FRESH2,
    FRESH3,
    FRESH4,
    HELD_OUT,
    TUNING,
    LabelledSet,
    Voice,
)
from pipeline.core.scripts import join_words
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.plan import product_terms
from pipeline.speech.name_check import NameCheck, samples_between
from pipeline.speech.names import catalog_names, correct_names
from pipeline.speech.transcribe import SAMPLE_RATE, TranscribeOptions, run_whisper

CATALOG = TUNING.catalog
"""The tuning set's live-selling catalog (bench/live.py pitches its products too)."""


def speak(text: str, voice: Voice, out: Path) -> Path | None:
    """``text`` spoken to a WAV file, or None when the program is not installed."""
    if shutil.which(voice.program) is None:
        return None
    if voice.program == "flite":
        cmd = ["flite", "-voice", voice.voice, "-t", text, "-o", str(out)]
    else:
        cmd = ["espeak-ng", "-v", voice.voice, "-s", str(voice.wpm), "-w", str(out), text]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def load_16k(path: Path) -> np.ndarray:
    """A WAV as 16 kHz mono float32 (through the project's ffmpeg)."""
    raw = path.with_suffix(".f32")
    run_ffmpeg(["-y", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(SAMPLE_RATE),
                "-f", "f32le", str(raw)])
    return np.fromfile(raw, dtype=np.float32)


def score(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Precision and recall over per-utterance rows (see the module docstring); None
    when no voice could be made (neither flite nor espeak-ng installed)."""
    if not rows:
        return {"name_fix_precision": None, "name_fix_recall": None,
                "name_fix_utterances": 0, "name_fix_needed": 0, "name_fix_made": 0}
    made = sum(len(r["fixes"]) for r in rows)
    right = sum(1 for r in rows for f in r["fixes"]
                if f in str(r["fixed"]) and any(  # a keyword inside a spoken title counts
                    f.casefold() in n.casefold() for n in r["names"])
                and _times(f, r["fixed"]) <= _times(f, r.get("said", r["fixed"])))
    needed = [(r, n) for r in rows for n in r["names"] if n not in str(r["heard"])]
    recovered = sum(1 for r, n in needed if n in str(r["fixed"]))
    return {"name_fix_precision": round(right / made, 3) if made else 1.0,
            "name_fix_recall": round(recovered / len(needed), 3) if needed else 1.0,
            "name_fix_utterances": len(rows), "name_fix_needed": len(needed),
            "name_fix_made": made}


def _times(name: str, text: str) -> int:
    """How many times ``text`` holds ``name`` (any case): a correction that spells a
    name more often than it was said ("face will" made "face oil" beside the spoken
    "Celandine Face Oil") put it where it was not said."""
    return text.casefold().count(name.casefold())


def heard_rows(labelled: LabelledSet, voices: Sequence[Voice] | None = None,
               utterances: int | None = None, model: str = "tiny.en") -> list[dict[str, Any]]:
    """Speak, transcribe and correct every utterance of ``labelled`` (the first
    ``utterances`` when given) in each of its voices (or ``voices``), exactly as
    `clipcart make` does with ``model`` (the audio checks each correction): one row per
    utterance and voice."""
    by_sku = {p.sku: p for p in labelled.catalog}
    names = catalog_names(labelled.catalog)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="clipcart-namefix-") as tmp:
        for i, utt in enumerate(labelled.utterances[:utterances]):
            options = TranscribeOptions(model=model, language="en",
                                        vocabulary=tuple(product_terms(by_sku[utt.sku])))
            for j, voice in enumerate(voices or labelled.voices):
                wav = speak(utt.text, voice, Path(tmp) / f"{i}-{j}.wav")
                if wav is None:
                    continue
                samples = load_16k(wav)
                heard = run_whisper(samples, model, "en", options).words
                check = NameCheck(samples_between(samples), model, "en", options.vocabulary)
                fixed, fixes = correct_names(heard, names, confirm=check.confirms)
                rows.append({"set": labelled.name, "voice": f"{voice.program}:{voice.voice}"
                             + (f":{voice.wpm}" if voice.wpm else ""), "said": utt.text,
                             "names": list(utt.names),
                             "words": [w.model_dump() for w in heard],
                             "heard": join_words([w.text for w in heard]),
                             "fixed": join_words([w.text for w in fixed]),
                             "fixes": [f.spelled for f in fixes],
                             "evidence": [f.evidence for f in fixes]})
    return rows


def measure_name_fix(quick: bool = False, rows_out: Path | None = None
                     ) -> dict[str, float | None]:
    """Every set's figures: the last held-out set's (``FRESH4``) as ``name_fix_*``, the
    others' as ``name_fix_heldout4_*`` (``FRESH3``), ``name_fix_heldout3_*`` (``FRESH2``),
    ``name_fix_heldout2_*``
    (``FRESH``), ``name_fix_heldout1_*`` (``HELD_OUT``) and ``name_fix_tuning_*``.
    ``quick`` speaks one utterance of each set in one voice (a smoke run, not a
    figure); ``rows_out`` gets every row as a JSON line."""
    figures: dict[str, float | None] = {}
    lines = []
    for labelled, prefix in ((FRESH4, "name_fix_"), (FRESH3, "name_fix_heldout4_"),
                             (FRESH2, "name_fix_heldout3_"),
                             (FRESH, "name_fix_heldout2_"),
                             (HELD_OUT, "name_fix_heldout1_"), (TUNING, "name_fix_tuning_")):
        rows = heard_rows(labelled, labelled.voices[:1] if quick else None,
                          1 if quick else None)
        lines += [json.dumps(r) for r in rows]
        figures.update({k.replace("name_fix_", prefix): v for k, v in score(rows).items()})
    if rows_out is not None:
        rows_out.write_text("".join(f"{line}\n" for line in lines))
    return figures


if __name__ == "__main__":
    out = Path(sys.argv[2]) if sys.argv[1:2] == ["--rows"] else None
    print(json.dumps(measure_name_fix(rows_out=out), indent=1))
