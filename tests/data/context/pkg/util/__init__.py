"""Helpers shared by the shapes."""

from . import helpers

__all__ = ["helpers"]
