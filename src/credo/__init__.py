"""credo: an open credit-scoring and loyalty platform.

Consented events from many sources become characteristics in five dimensions, scored monthly
on 350-950 with reasons; partners see scores only with the person's authorization.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("credo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
