"""What every stage shares: frozen models (times in ms), the one exception tree, CLIPCART_HOME
and the checkout's assets, content digests.
"""
