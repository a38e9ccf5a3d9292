"""Pydantic models of the desired state, YAML loading with positions, JSON Schema export."""

import os
import sys
import types
from typing import Any

# pydantic looks for plugins (importlib.metadata entry points) the first time it builds a model: a scan of every
# installed distribution that costs about as much as building all our models. We use no pydantic plugins, and
# `reconciler validate` has a 0.3 s budget. PYDANTIC_DISABLE_PLUGINS is pydantic's documented switch; a value the
# user set wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

# With plugins disabled pydantic's loader returns no plugins without reading any metadata, yet the module imports
# importlib.metadata (and with it email, socket, zipfile, csv…) at its top: ~60 ms of a cold validate (~13%). While
# plugins are disabled, a stand-in answers the one question pydantic asks it (get_plugins) with the same empty
# answer; anything else asked of it brings in the real module.
_LOADER = "pydantic.plugin._loader"
_DISABLED = ("__all__", "1", "true")  # the values pydantic's get_plugins treats as "no plugins"


def _no_plugins() -> tuple[()]:
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in _DISABLED:
        return _real_loader().get_plugins()  # type: ignore[no-any-return]
    return ()


def _real_loader() -> Any:
    import importlib

    if getattr(sys.modules.get(_LOADER), "__reconciler_stand_in__", False):
        del sys.modules[_LOADER]
    return importlib.import_module(_LOADER)


def _loader_attribute(name: str) -> Any:
    if name.startswith("__"):  # the import system probes __path__ and the like: a plain module has none
        raise AttributeError(name)
    return getattr(_real_loader(), name)


if os.environ["PYDANTIC_DISABLE_PLUGINS"] in _DISABLED and _LOADER not in sys.modules:
    _stand_in = types.ModuleType(_LOADER, "reconciler's stand-in: pydantic plugins are disabled")
    _stand_in.__reconciler_stand_in__ = True  # type: ignore[attr-defined]
    _stand_in.get_plugins = _no_plugins  # type: ignore[attr-defined]
    _stand_in.__getattr__ = _loader_attribute  # type: ignore[method-assign]
    sys.modules[_LOADER] = _stand_in
