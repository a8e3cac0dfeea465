"""Media access: the one ffmpeg runner, the PyAV probe, MP4 bitstream facts, the loudness
meter, generated sample footage.
"""
