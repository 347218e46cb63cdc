"""Events: the v1 schemas, file readers, validation, sources and consent-checked ingestion.

The ingestor lives in :mod:`credo.events.ingest` (it needs the consent package, which itself
needs the event categories declared here).
"""

from credo.events.schemas import CATEGORIES, EVENT_TYPES, TYPE_CATEGORY, event_json_schema

__all__ = ["CATEGORIES", "EVENT_TYPES", "TYPE_CATEGORY", "event_json_schema"]
