"""Brand templates: one validated YAML file per look (captions, card, music, calls to action,
UTM).
"""
