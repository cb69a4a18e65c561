"""talentatlas: the global market for AI researchers, measured from open data.

The public surface is small: :class:`talentatlas.api.Atlas` to read a built warehouse,
:func:`talentatlas.pipeline.build` to build one, and the ``talentatlas`` command.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("talentatlas")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
