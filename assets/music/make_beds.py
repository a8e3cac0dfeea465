"""Synthesise clipcart's royalty-free music beds (CC0) with numpy; encode with ffmpeg.

Run from the repo root::

    PYTHONPATH=. python assets/music/make_beds.py          # writes assets/music/*.opus

Each bed is a whole number of bars rendered on a circular timeline: every note,
drum hit, reverb tail and filter wraps around the loop end, so the file loops
seamlessly (the loop point is a downbeat with no click). Everything is
deterministic: the only randomness (noise, humanised velocities, reverb) comes
from fixed seeds. Instruments: kick (pitch-swept sine), snare or clap (shaped
noise plus a pitched decay), hi-hats (high-passed noise), a bass line, and
chords (detuned saws through a low-pass, or FM electric piano) over a chord
progression, with swing per mood.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.media.ffmpeg import run_ffmpeg

SR = 48_000
STEPS = 16
"""Sixteenth-note steps per 4/4 bar."""

Mono = np.ndarray
Stereo = np.ndarray

CHORD_SHAPES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10),
    "dom7": (0, 4, 7, 10), "min9": (0, 3, 7, 10, 14), "maj9": (0, 4, 7, 11, 14),
    "add9": (0, 4, 7, 14), "sus2": (0, 2, 7),
}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class BedSpec:
    """One bed: tempo, key, progression, patterns and sound per mood."""

    name: str
    title: str
    mood: str
    bpm: float
    bars: int
    key_root: int
    """MIDI note of the key's tonic in the bass octave (e.g. 36 = C2)."""
    key_name: str
    chords: tuple[tuple[int, str], ...]
    """Progression as (semitones above the tonic, chord shape), one per chord_bars."""
    chord_bars: int
    kick: str
    snare: str
    hat: str
    open_hat: str
    bass: str
    """Per-bar 16 steps: R root, 5 fifth, O octave, - hold, . rest."""
    swing: float
    """Delay of odd sixteenths as a fraction of a sixteenth (0 straight, 0.33 triplet)."""
    keys: str
    """Chord instrument: "pad" (detuned saws), "ep" (FM piano) or "stab" (pumping saws)."""
    keys_rhythm: str
    """Chord attacks per bar, 16 steps, same symbols as bass."""
    cutoff_hz: float
    clap: bool
    seed: int


BEDS: tuple[BedSpec, ...] = (
    BedSpec("chill_lofi_80", "Slow Sunday", "chill", 80, 8, 41, "F major",
            ((0, "maj9"), (9, "min7"), (2, "min9"), (7, "dom7")), 2,
            "x......x..x.....", "....x.......x...", "x.x.x.x.x.x.x.x.", "................",
            "R-------..5.R---", 0.30, "ep", "x-------x-------", 1800, False, 80),
    BedSpec("warm_acoustic_90", "Golden Hour", "warm", 90, 8, 43, "G major",
            ((0, "add9"), (4, "min7"), (9, "min7"), (5, "maj7")), 2,
            "x.....x...x.....", "....x.......x...", "xoxoxoxoxoxoxoxo", "..............x.",
            "R-----R-..5-R---", 0.16, "ep", "x-----x---x-----", 2600, False, 90),
    BedSpec("luxe_velvet_100", "Velvet Room", "luxe", 100, 8, 38, "D minor",
            ((0, "min9"), (5, "min9"), (10, "maj9"), (7, "dom7")), 2,
            "x.......x.x.....", "....x.......x...", "xoooxoooxoooxooo", "......x.........",
            "R--.R-5-..R-O-5-", 0.10, "pad", "x---------------", 1400, False, 100),
    BedSpec("upbeat_pop_120", "Bright Side", "upbeat", 120, 12, 36, "C major",
            ((0, "maj"), (7, "maj"), (9, "min"), (5, "maj")), 1,
            "x...x...x...x...", "....x.......x...", "oxoxoxoxoxoxoxox", "..x...x...x...x.",
            "R.R.R.RO.R.R5.R.", 0.05, "stab", "x..x..x...x..x..", 3200, True, 120),
    BedSpec("energetic_drive_128", "Full Throttle", "energetic", 128, 16, 33, "A minor",
            ((0, "min"), (8, "maj"), (3, "maj"), (10, "maj")), 2,
            "x...x...x...x...", "....x.......x...", "xxxxxxxxxxxxxxxx", "..x...x...x...x.",
            "..R...R...R...R.", 0.0, "stab", "x.x.x.x.x.x.x.x.", 4200, True, 128),
)


# ---------------------------------------------------------------- timeline


def bar_samples(bpm: float) -> float:
    """Samples in one 4/4 bar at ``bpm`` (may be fractional)."""
    return SR * 240.0 / bpm


def loop_samples(spec: BedSpec) -> int:
    """Exact length of the loop in samples."""
    return round(bar_samples(spec.bpm) * spec.bars)


def step_time(spec: BedSpec, bar: int, step: int) -> int:
    """Sample index of a sixteenth step, swing applied to odd steps."""
    sixteenth = bar_samples(spec.bpm) / STEPS
    swing = spec.swing * sixteenth if step % 2 else 0.0
    return round(bar * bar_samples(spec.bpm) + step * sixteenth + swing)


def place(buf: Stereo, sound: Stereo, start: int) -> None:
    """Add ``sound`` into the circular ``buf`` at ``start``, wrapping at the loop end."""
    n = buf.shape[0]
    start %= n
    for offset in range(0, sound.shape[0], n):
        chunk = sound[offset:offset + n]
        head = min(chunk.shape[0], n - start)
        buf[start:start + head] += chunk[:head]
        buf[:chunk.shape[0] - head] += chunk[head:]


def pan(mono: Mono, position: float, gain: float = 1.0) -> Stereo:
    """Equal-power pan: -1 left, 0 centre, +1 right."""
    angle = (position + 1.0) * np.pi / 4.0
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1) * gain * np.sqrt(2)


def midi_hz(note: float) -> float:
    """Frequency of a MIDI note number."""
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


# ---------------------------------------------------------------- filters (FFT, circular)


def spectral_filter(x: np.ndarray, response: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Zero-phase filter along axis 0 via rFFT; circular, so a loop stays a loop."""
    spectrum = np.fft.rfft(x, axis=0)
    freqs = np.fft.rfftfreq(x.shape[0], 1.0 / SR)
    gain = response(freqs)
    if x.ndim == 2:
        gain = gain[:, None]
    return np.fft.irfft(spectrum * gain, n=x.shape[0], axis=0)


def lowpass(x: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    """Butterworth-shaped magnitude low-pass."""
    return spectral_filter(x, lambda f: 1.0 / np.sqrt(1.0 + (f / cutoff) ** (2 * order)))


def highpass(x: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    """Butterworth-shaped magnitude high-pass."""
    return spectral_filter(
        x, lambda f: 1.0 / np.sqrt(1.0 + (cutoff / np.maximum(f, 1e-3)) ** (2 * order)))


def bandpass(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """High-pass at ``low`` then low-pass at ``high``."""
    return lowpass(highpass(x, low), high)


def reverb(bus: Stereo, seconds: float, seed: int) -> Stereo:
    """Circular convolution with a decaying-noise impulse response (a room around the loop)."""
    rng = np.random.default_rng(seed)
    n = bus.shape[0]
    length = min(int(seconds * SR), n)
    t = np.arange(length) / SR
    ir = rng.standard_normal((length, 2)) * np.exp(-6.9 * t / seconds)[:, None]
    ir = lowpass(ir, 5000.0)
    ir[: int(0.012 * SR)] = 0.0  # pre-delay keeps the dry attack clear
    ir /= np.sqrt(np.sum(ir**2, axis=0, keepdims=True))
    padded = np.zeros_like(bus)
    padded[:length] = ir
    wet = np.fft.irfft(np.fft.rfft(bus, axis=0) * np.fft.rfft(padded, axis=0), n=n, axis=0)
    return np.asarray(wet)


# ---------------------------------------------------------------- drums


def env(seconds: float, decay: float, attack: float = 0.001) -> Mono:
    """Linear attack then exponential decay with time constant ``decay``."""
    t = np.arange(int(seconds * SR)) / SR
    return np.minimum(t / attack, 1.0) * np.exp(-t / decay)


def kick(rng: np.random.Generator) -> Mono:
    """Sine swept from ~160 Hz down to ~48 Hz, with a short noise click."""
    t = np.arange(int(0.5 * SR)) / SR
    freq = 48.0 + 115.0 * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / 0.22)
    click = highpass(rng.standard_normal(t.size), 2000.0) * env(0.5, 0.003, 0.0005) * 0.25
    return np.tanh(1.6 * (body + click)) * 0.95


def snare(rng: np.random.Generator) -> Mono:
    """Pitched 190 Hz decay plus band-passed noise."""
    t = np.arange(int(0.35 * SR)) / SR
    tone = np.sin(2 * np.pi * 190.0 * t) * np.exp(-t / 0.05) * 0.5
    noise = bandpass(rng.standard_normal(t.size), 1200.0, 9000.0) * np.exp(-t / 0.09)
    return (tone + noise * 0.9) * 0.6


def clap(rng: np.random.Generator) -> Mono:
    """Three quick noise bursts then a decaying tail, band-passed around 1.5 kHz."""
    t = np.arange(int(0.4 * SR)) / SR
    shape = sum(np.where(t >= d, np.exp(-(t - d) / 0.006), 0.0) for d in (0.0, 0.011, 0.023))
    shape = shape + np.where(t >= 0.023, np.exp(-(t - 0.023) / 0.12), 0.0) * 0.6
    return bandpass(rng.standard_normal(t.size), 900.0, 4500.0) * shape * 0.8


def hat(rng: np.random.Generator, decay: float) -> Mono:
    """High-passed noise with a short (closed) or long (open) decay."""
    seconds = min(decay * 7.0, 0.6)
    noise = highpass(rng.standard_normal(int(seconds * SR)), 7000.0, order=3)
    return noise * env(seconds, decay) * 0.45


# ---------------------------------------------------------------- tonal voices


def saw(freq: float, seconds: float, phase: float) -> Mono:
    """A naive sawtooth (aliasing is removed by the bus low-pass in practice)."""
    t = np.arange(int(seconds * SR)) / SR
    return 2.0 * ((freq * t + phase) % 1.0) - 1.0


def adsr(seconds: float, attack: float, release: float) -> Mono:
    """Attack, full sustain, then a release that ends at ``seconds``."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    rise = np.minimum(t / attack, 1.0)
    fall = np.clip((seconds - t) / release, 0.0, 1.0)
    return rise * fall


def bass_note(freq: float, seconds: float) -> Mono:
    """Sine sub plus a little saw for definition."""
    t = np.arange(int(seconds * SR)) / SR
    tone = np.sin(2 * np.pi * freq * t) + 0.25 * saw(freq, seconds, 0.0)
    return tone * adsr(seconds, 0.006, 0.04) * 0.55


def ep_note(freq: float, seconds: float, velocity: float) -> Mono:
    """FM electric piano: 1:1 modulator whose index decays, plus a soft tine partial."""
    tail = seconds + 0.6
    t = np.arange(int(tail * SR)) / SR
    index = 0.4 + 2.2 * velocity * np.exp(-t / 0.25)
    body = np.sin(2 * np.pi * freq * t + index * np.sin(2 * np.pi * freq * t))
    tine = np.sin(2 * np.pi * freq * 14.0 * t) * np.exp(-t / 0.02) * 0.08
    amp = np.exp(-t / 1.4) * adsr(tail, 0.003, 0.5)
    return (body + tine) * amp * velocity * 0.22


def saw_stack(freq: float, seconds: float, attack: float, rng: np.random.Generator) -> Stereo:
    """Three saws detuned by a few cents, spread left, centre and right."""
    voices = [saw(freq * 2 ** (cents / 1200), seconds, rng.random()) for cents in (-9, 0, 8)]
    shape = adsr(seconds, attack, min(0.15, seconds / 3))
    left = (voices[0] + 0.6 * voices[1]) * shape
    right = (voices[2] + 0.6 * voices[1]) * shape
    return np.stack([left, right], axis=1) * 0.09


# ---------------------------------------------------------------- arrangement


def voicing(root_pc: int, shape: str, centre: int = 62) -> list[int]:
    """Chord notes as MIDI numbers, each folded into the octave around ``centre``."""
    notes = []
    for interval in CHORD_SHAPES[shape]:
        pc = (root_pc + interval) % 12
        note = centre - 6 + (pc - (centre - 6)) % 12
        notes.append(note)
    return sorted(notes)


def events(pattern: str, bar: int, spec: BedSpec) -> list[tuple[int, float, str]]:
    """(start sample, length in seconds, symbol) for each attack in a 16-step bar pattern."""
    sixteenth_s = 240.0 / spec.bpm / STEPS
    out = []
    for step, symbol in enumerate(pattern):
        if symbol in ".-":
            continue
        hold = 1
        while step + hold < STEPS and pattern[step + hold] == "-":
            hold += 1
        out.append((step_time(spec, bar, step), hold * sixteenth_s, symbol))
    return out


def chord_at(spec: BedSpec, bar: int) -> tuple[int, str]:
    """The chord that sounds in ``bar``."""
    return spec.chords[(bar // spec.chord_bars) % len(spec.chords)]


def drum_bus(spec: BedSpec, n: int, rng: np.random.Generator) -> Stereo:
    """Kick, snare or clap, closed and open hats, humanised velocities."""
    bus = np.zeros((n, 2))
    backbeat = clap(rng) if spec.clap else snare(rng)
    sounds = {"kick": pan(kick(rng), 0.0), "snare": pan(backbeat, 0.05)}
    hats = [pan(hat(rng, 0.03), 0.3) for _ in range(4)]
    open_hat = pan(hat(rng, 0.16), -0.25, 0.7)
    for bar in range(spec.bars):
        for start, _, sym in events(spec.kick, bar, spec):
            place(bus, sounds["kick"] * (1.0 if sym == "x" else 0.6), start)
        for start, _, _ in events(spec.snare, bar, spec):
            place(bus, sounds["snare"] * rng.uniform(0.85, 1.0), start)
        for start, _, sym in events(spec.hat, bar, spec):
            velocity = (0.75 if sym == "x" else 0.4) * rng.uniform(0.8, 1.0)
            place(bus, hats[int(rng.integers(4))] * velocity, start)
        for start, _, _ in events(spec.open_hat, bar, spec):
            place(bus, open_hat, start)
    return bus


def bass_bus(spec: BedSpec, n: int) -> Stereo:
    """The bass line: pattern symbols follow the chord root."""
    bus = np.zeros((n, 2))
    offsets = {"R": 0, "5": 7, "O": 12}
    for bar in range(spec.bars):
        root, _ = chord_at(spec, bar)
        for start, seconds, sym in events(spec.bass, bar, spec):
            note = spec.key_root + root % 12 + offsets.get(sym, 0)
            place(bus, pan(bass_note(midi_hz(note), seconds), 0.0), start)
    return lowpass(bus, 700.0)


def chord_bus(spec: BedSpec, n: int, rng: np.random.Generator) -> Stereo:
    """The progression on the mood's chord instrument, low-passed at the mood's cutoff."""
    bus = np.zeros((n, 2))
    for bar in range(spec.bars):
        root, shape = chord_at(spec, bar)
        notes = voicing((spec.key_root + root) % 12, shape)
        for start, seconds, _ in events(spec.keys_rhythm, bar, spec):
            for i, note in enumerate(notes):
                place(bus, chord_voice(spec, midi_hz(note), seconds, i, rng), start)
    bus = lowpass(bus, spec.cutoff_hz)
    if spec.keys == "stab":
        bus *= pump(spec, n)[:, None]
    return bus


def chord_voice(spec: BedSpec, freq: float, seconds: float, index: int,
                rng: np.random.Generator) -> Stereo:
    """One note of a chord on the mood's instrument."""
    if spec.keys == "ep":
        velocity = rng.uniform(0.75, 0.95)
        return pan(ep_note(freq, seconds * 0.98, velocity), (index % 3 - 1) * 0.35)
    attack = 0.25 if spec.keys == "pad" else 0.004
    return saw_stack(freq, seconds * (1.0 if spec.keys == "pad" else 0.7), attack, rng)


def pump(spec: BedSpec, n: int) -> Mono:
    """Sidechain-style gain dip on every beat (periodic, so it loops)."""
    beat = bar_samples(spec.bpm) / 4.0
    phase = (np.arange(n) % beat) / beat
    return 0.35 + 0.65 * np.minimum(phase / 0.45, 1.0) ** 1.5


def render_bed(spec: BedSpec) -> Stereo:
    """The finished loop: float stereo, about -16 dBFS RMS, peak below -1 dBFS."""
    rng = np.random.default_rng(spec.seed)
    n = loop_samples(spec)
    drums = drum_bus(spec, n, rng)
    chords = chord_bus(spec, n, rng)
    bass = bass_bus(spec, n)
    wet = reverb(chords * 0.5 + drums * 0.12, 1.8 if spec.mood in ("luxe", "chill") else 1.1,
                 spec.seed + 1)
    mix = drums * 0.7 + bass * 0.6 + chords * 2.2 + wet * 0.5
    return master(mix)


def master(mix: Stereo, rms_db: float = -16.0, ceiling_db: float = -1.0) -> Stereo:
    """Set loudness by RMS, soft-clip peaks, then keep the peak under the ceiling."""
    mix = mix - mix.mean(axis=0)
    mix *= 10 ** (rms_db / 20) / np.sqrt(np.mean(mix**2))
    ceiling = 10 ** (ceiling_db / 20)
    mix = np.tanh(mix / ceiling) * ceiling
    return np.asarray(mix * min(1.0, ceiling / np.max(np.abs(mix))), dtype=np.float32)


# ---------------------------------------------------------------- encoding


def encode(pcm: Stereo, out: Path, bitrate: str = "96k") -> None:
    """Encode float stereo 48 kHz to Opus in Ogg via ffmpeg."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "bed.f32"
        raw.write_bytes(np.ascontiguousarray(pcm, dtype="<f4").tobytes())
        run_ffmpeg(["-y", "-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", str(raw),
                    "-c:a", "libopus", "-b:a", bitrate, "-vbr", "on",
                    "-map_metadata", "-1", "-fflags", "+bitexact", str(out)])


def describe(spec: BedSpec, pcm: Stereo) -> str:
    """One line of figures: RMS, peak, and energy share below 200 Hz and above 4 kHz."""
    mono = pcm.mean(axis=1)
    power = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1.0 / SR)
    total = power.sum()
    low, high = power[freqs < 200].sum() / total, power[freqs > 4000].sum() / total
    rms = 20 * np.log10(np.sqrt(np.mean(pcm**2)))
    peak = 20 * np.log10(np.max(np.abs(pcm)))
    return (f"{spec.name:22s} {spec.bpm:5.0f} bpm {spec.bars:2d} bars {pcm.shape[0] / SR:6.2f} s "
            f"rms {rms:6.1f} dBFS peak {peak:5.1f} dBFS  <200Hz {low:5.1%}  >4kHz {high:5.1%}")


def main() -> None:
    """Render and encode every bed into the given folder (default: this script's folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--only", default="", help="render only the bed with this name")
    args = parser.parse_args()
    for spec in BEDS:
        if args.only and spec.name != args.only:
            continue
        pcm = render_bed(spec)
        encode(pcm, args.out / f"{spec.name}.opus")
        print(describe(spec, pcm))


if __name__ == "__main__":
    main()
