"""Scoring: compiled scorecards in the engine, minimum criteria, bands, percentiles, reasons,
the monthly run."""

from credo.scoring.compile import compile_points, compile_scorecard, points_column
from credo.scoring.criteria import na_reasons

__all__ = ["compile_points", "compile_scorecard", "na_reasons", "points_column"]
