"""Collection consents of synthetic people, and which generated events they do not cover.

Everyone grants every category (for all sources) at or before joining, except: ~2 % never
consent to ``network``, ~1 % withdraw one category part-way, ~1 % grant one category to a single
source only. Sources still send the events these people are not covered for; ingest must reject
them (``no_consent``), and :func:`count_without_consent` counts them so the generator can say how
many it wrote.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from credo.events.schemas import CATEGORIES, EVENT_TYPES
from credo.synth.people import Statics, World, statics
from credo.synth.sources import SOURCE_NAMES, category_index

__all__ = ["consent_rows", "count_without_consent"]

_TYPE_CATEGORY = np.array([category_index(name) for name in EVENT_TYPES], dtype=np.int64)
_NETWORK = CATEGORIES.index("network")


def _iso(at_us: NDArray[np.int64]) -> list[str]:
    seconds = (at_us // 1_000_000).astype("datetime64[s]")
    return list(np.datetime_as_string(seconds, timezone="UTC"))


def consent_rows(st: Statics, national_id: list[str]) -> list[tuple[str, str, str, str, str]]:
    """Return the consent rows ``(subject, category, source, action, at)`` of a chunk's people."""
    granted = _iso(st.grant_us)
    withdrawn = _iso(st.withdraw_us)
    rows: list[tuple[str, str, str, str, str]] = []
    for i, subject in enumerate(national_id):
        restrict, withdraw = int(st.restrict_cat[i]), int(st.withdraw_cat[i])
        for c, category in enumerate(CATEGORIES):
            if c == _NETWORK and st.no_network[i]:
                continue
            source = SOURCE_NAMES[st.restrict_source[i]] if c == restrict else ""
            rows.append((subject, category, source, "grant", granted[i]))
            if c == withdraw:
                rows.append((subject, category, source, "withdraw", withdrawn[i]))
    return rows


def count_without_consent(
    world: World,
    source: int,
    subject_index: NDArray[np.int64],
    type_code: NDArray[np.int64],
    at_us: NDArray[np.int64],
) -> int:
    """Count the events (of source number ``source``) that no consent covers at their time.

    Parameters
    ----------
    world
        The population.
    source
        Position of the source in :data:`~credo.synth.sources.SOURCES`.
    subject_index, type_code, at_us
        Per event: the subject's global index, the position of its type in
        :data:`~credo.events.schemas.EVENT_TYPES`, and its time.
    """
    if len(subject_index) == 0:
        return 0
    people, inverse = np.unique(subject_index, return_inverse=True)
    st = statics(world, people)
    category = _TYPE_CATEGORY[type_code]
    covered = at_us >= st.grant_us[inverse]
    covered &= ~(st.no_network[inverse] & (category == _NETWORK))
    covered &= ~((st.withdraw_cat[inverse] == category) & (at_us >= st.withdraw_us[inverse]))
    covered &= ~((st.restrict_cat[inverse] == category) & (st.restrict_source[inverse] != source))
    return int((~covered).sum())
