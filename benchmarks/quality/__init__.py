"""Quality benchmark: labelled near-duplicate pairs and reuse spans, metrics, baselines.

Datasets come from real Chinese text (two editions of the Complete Tang Poems, the seed
web pages) so that the numbers say something about the text neardup is meant for, and
every label is derived from editorial metadata or from the generator's own bookkeeping,
never from a similarity measure.
"""
