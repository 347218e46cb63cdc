"""Synthetic population with ground truth: people, their events at eight sources, consents,
monthly outcomes, sybil rings and deliberately false records.

>>> from credo.synth import generate_population  # doctest: +SKIP
>>> summary = generate_population(Path("data/synth"), subjects=10_000, months=24, seed=7)
"""

from credo.synth.population import SynthSummary, generate_population

__all__ = ["SynthSummary", "generate_population"]
