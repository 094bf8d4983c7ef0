"""Custom TFX components for the MovieLens retrieval pipeline.

Each component package's ``__init__`` is its public face: the names listed
in its ``__all__`` are what other packages may use; its modules are its
own. The faces load lazily (``public_face``), so a user of a light part
(settings, a reader) does not import Beam and TFX's executors with it.
"""

import importlib
from typing import Any, Callable, Mapping


def public_face(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` that imports each export on first use.

    Args:
      package: The package's ``__name__``.
      exports: Exported name to the package's module that defines it.

    Returns:
      The module-level ``__getattr__`` (PEP 562) to assign in the package.
    """

    def load(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    return load
