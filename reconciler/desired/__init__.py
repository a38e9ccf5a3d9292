"""Pydantic models of the desired state, YAML loading with positions, JSON Schema export."""

import os

# pydantic looks for plugins (importlib.metadata entry points) the first time it builds a model: a scan of every
# installed distribution that costs about as much as building all our models. We use no pydantic plugins, and
# `reconciler validate` has a 0.3 s budget. PYDANTIC_DISABLE_PLUGINS is pydantic's documented switch; a value the
# user set wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
