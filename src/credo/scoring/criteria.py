"""Minimum scoring criteria: who gets a score and who gets ``N/A`` with the reason.

A person is scored when the lake shows at least ``min_history_months`` of history or any
credit event (an account, a repayment, a default). Below that a score would be a guess from
almost nothing, so credo says ``N/A`` instead, as bureaus do for thin files.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["CRITERIA_COLUMNS", "THIN_FILE", "na_reasons"]

THIN_FILE = "fewer than {months} months of history and no credit event"
CRITERIA_COLUMNS = ("beh_tenure_months", "hist_worst_dpd_24m", "hist_age_oldest_credit_months")
"""The characteristics the criteria read."""


def na_reasons(frame: pd.DataFrame, *, min_history_months: int) -> npt.NDArray[np.object_]:
    """Per row of a characteristics frame: None (scorable) or why there is no score."""
    tenure = frame["beh_tenure_months"].to_numpy(dtype=np.float64, na_value=np.nan)
    credit = frame["hist_worst_dpd_24m"].notna().to_numpy() | (
        frame["hist_age_oldest_credit_months"].notna().to_numpy()
    )
    thin = ~(tenure >= min_history_months) & ~credit
    reasons = np.full(len(frame), None, dtype=object)
    reasons[thin] = THIN_FILE.format(months=min_history_months)
    return reasons
