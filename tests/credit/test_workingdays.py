"""Working-day deadlines on the Chinese calendar (dates checked with chinese_calendar)."""

from datetime import date

import chinese_calendar
import pytest

from credit.domain.workingdays import add_working_days, is_working_day, working_days_between


def test_calendar_facts_used_below():
    # 2026 Spring Festival: off 2026-02-15 .. 2026-02-23; make-up Saturdays 02-14 and 02-28.
    assert chinese_calendar.is_holiday(date(2026, 2, 16))
    assert chinese_calendar.is_holiday(date(2026, 2, 23))
    assert chinese_calendar.is_workday(date(2026, 2, 14))
    assert chinese_calendar.is_workday(date(2026, 2, 28))
    # 2025: off 01-28 .. 02-04; make-up Sunday 01-26 and Saturday 02-08.
    assert chinese_calendar.is_workday(date(2025, 2, 8))


@pytest.mark.parametrize("start, days, due", [
    (date(2026, 2, 10), 5, date(2026, 2, 24)),   # Wed..Fri, make-up Sat 02-14, holiday, Tue 02-24
    (date(2026, 2, 12), 1, date(2026, 2, 13)),
    (date(2026, 2, 13), 1, date(2026, 2, 14)),   # the make-up Saturday counts
    (date(2026, 2, 14), 1, date(2026, 2, 24)),   # the whole festival is skipped
    (date(2026, 2, 24), 4, date(2026, 2, 28)),   # Wed, Thu, Fri, make-up Sat 02-28
    (date(2025, 1, 24), 5, date(2025, 2, 7)),    # Sun 01-26 make-up, 01-27, then 02-05..02-07
    (date(2025, 2, 5), 3, date(2025, 2, 8)),     # make-up Saturday 2025-02-08
    (date(2026, 3, 2), 5, date(2026, 3, 9)),     # ordinary week: weekend skipped
])
def test_add_working_days_across_spring_festival(start, days, due):
    assert add_working_days(start, days) == due


def test_working_days_between_counts_make_up_days():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 24)) == 0


def test_year_outside_calendar_falls_back_to_weekdays():
    assert is_working_day(date(2030, 1, 7))       # a Monday
    assert not is_working_day(date(2030, 1, 5))   # a Saturday
    assert add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 7)


def test_negative_days_rejected():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)
