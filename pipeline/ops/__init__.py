"""Operating at volume: batch manifests, the watched inbox, review, publish slots, release, the
link page.
"""
