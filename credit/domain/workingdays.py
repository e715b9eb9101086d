"""Working days on the Chinese calendar: public holidays and make-up workdays (调休).

``chinese_calendar`` knows the State Council's holiday arrangements year by year. For a year it
does not know yet, we fall back to Monday-Friday and log a warning, so a deadline is never lost.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


def is_working_day(day: date) -> bool:
    """Whether the day is a working day on the official Chinese calendar."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        log.warning("no holiday data for %s; counting Monday-Friday as working days", day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
