"""Training scorecards: on any table (an analyst's CSV) or on the platform's lake."""

from credo.training.fit import FittedModel, fit_and_evaluate
from credo.training.platform import TrainReport, train_on_lake

__all__ = ["FittedModel", "TrainReport", "fit_and_evaluate", "train_on_lake"]
