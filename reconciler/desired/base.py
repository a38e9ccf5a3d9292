"""The base of every desired-state model, and the way cross-field checks report located problems."""

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

# A path inside a model, relative to the model that found the problem, e.g. ("autoscaling", "max").
Location = tuple[str | int, ...]
# Ends a Location to place the problem on the mapping key rather than on its value (an unknown name, say).
KEY = "<key>"


class Model(BaseModel):
    """Frozen, strict (YAML already gives real types), unknown keys refused, YAML names (aliases) accepted.

    Built on first use (defer_build): the first Environment validated builds the whole tree once, where building
    every model at import also built each part's validator and serializer again inside every parent's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True, defer_build=True)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or nothing. difflib is imported only when there is a problem."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def fail(problems: Sequence[tuple[Location, str]]) -> None:
    """Raise one validation error carrying several located problems (the loader places each one in the file).

    A model validator can raise only one error; the loader expands `ctx["problems"]` into one problem each.
    """
    if problems:
        detail = "; ".join(message for _, message in problems)
        raise PydanticCustomError("cross_field", "{detail}", {"detail": detail, "problems": tuple(problems)})
