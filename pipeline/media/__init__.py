"""Media access: the one ffmpeg runner and the PyAV probe."""
