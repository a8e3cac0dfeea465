#!/bin/sh
# Regenerates the filler speech for tests/test_select_speech.py (needs espeak-ng; CI does not).
# Two stretches of talk that never name the product, 8 kHz mono 16-bit WAV to stay small.
set -e
FF=$(python -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())")
espeak-ng -v en-us -s 165 -w /tmp/filler_a.wav \
  "Good morning everyone. Today I am walking along the river before work. The weather is cool and quiet. I like to start the day slowly. Then I check my messages and plan the week."
espeak-ng -v en-us -s 165 -w /tmp/filler_b.wav \
  "After lunch I went back to the office. We talked about the new schedule for the team. Later I cooked pasta with tomatoes for dinner. Thanks for watching, and see you tomorrow."
for n in a b; do "$FF" -y -v error -i /tmp/filler_$n.wav -ar 8000 -ac 1 -c:a pcm_s16le filler_$n.wav; done
