"""A small package for context-extraction tests: relative imports and re-exports."""

from .shapes import Circle, Shape
from .util.helpers import clamp as clamp_value

__all__ = ["Circle", "Shape", "clamp_value"]
