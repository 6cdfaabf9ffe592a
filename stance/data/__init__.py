"""Data: files users hand us (`io`), labeled sentences (`labeled`), training data by format and
source role (`formats`), texts to classify (`inputs`), and news articles (`articles`).

Submodules are imported where needed, so `stance classify` pays only for what it uses.
"""
