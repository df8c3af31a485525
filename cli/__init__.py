"""codegpt: an AI code assistant for Python that lives in the editor."""

from importlib import metadata

try:
    __version__ = metadata.version("codegpt")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
