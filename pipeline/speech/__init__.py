"""Speech: word-timed transcripts with Whisper, the hallucination guard, the offline
multilingual model.
"""
