"""Captions: timed words into cues, the ASS/SRT/VTT files made from them, fonts and typesetting."""
