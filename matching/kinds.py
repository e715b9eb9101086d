"""The closed vocabularies of matching, as enums: a judgement's verdict, what a run did to an
enterprise, a run's mode, a review item's state. Each member is its stored string (``StrEnum``),
so the database columns and JSON answers hold the same words as before."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """A person's judgement on two records."""

    SAME = "same"
    DIFFERENT = "different"


class EventKind(StrEnum):
    """What a resolution run did to an enterprise (``enterprise_events.kind``)."""

    NEW = "new"
    MERGE = "merge"
    SPLIT = "split"


class RunMode(StrEnum):
    """How a resolution run chose its records (``resolution_runs.mode``)."""

    FULL = "full"
    INCREMENTAL = "incremental"
    JUDGEMENT = "judgement"


class ReviewStatus(StrEnum):
    """A review item waits (open) until a person's judgement settles its pair (judged)."""

    OPEN = "open"
    JUDGED = "judged"
