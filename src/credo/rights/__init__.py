"""People's rights over their data: export, erasure, disputes, retention."""

from credo.rights.dispute_service import DisputeService
from credo.rights.disputes import Dispute, Outcome, Status, due_at, resolve_expired

__all__ = ["Dispute", "DisputeService", "Outcome", "Status", "due_at", "resolve_expired"]
