"""The benchmark that `clipcart bench` runs: speed, memory and caption figures in one run."""
