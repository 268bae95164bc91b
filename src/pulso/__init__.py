"""Pulso: open-source Customer Experience Management."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pulso")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
