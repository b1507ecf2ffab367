"""An HTTP stand-in for the Kubernetes API server, faithful enough that the real kubectl
prints what it prints against a real v1.24 cluster (see tests/recordings/)."""

from .harness import StandIn
from .resources import ApiError

__all__ = ["ApiError", "StandIn"]
