"""One error hierarchy for every layer, mapped once by each face.

The web answers NotFound with 404, NotAllowed with 403, InvalidInput with 422 and Conflict with 409;
the CLI exits 1 for NotFound, NotAllowed and Conflict ("not found / cannot do") and 2 for
InvalidInput (bad usage). Messages are written for the person who caused them: Chinese first,
English second where the text is long enough to need both.
"""

from __future__ import annotations


class LianzhengError(Exception):
    """Base of every error a face turns into a message instead of a traceback."""


class NotFound(LianzhengError):
    """The enterprise, record, grant, batch or account does not exist."""


class NotAllowed(LianzhengError):
    """The actor may not do this (wrong enterprise, department or role; an expired grant)."""


class InvalidInput(LianzhengError):
    """The request itself is wrong: a missing reason, a bad date, an unknown record type."""


class Conflict(LianzhengError):
    """The thing is not in a state that allows this step (already decided, already pending)."""
