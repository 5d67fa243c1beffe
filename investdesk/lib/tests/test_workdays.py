import datetime as dt

import pytest

from investdesk.lib.workdays import add_workdays, is_workday, workdays_between


def test_the_example_of_the_issue_around_national_day_2024():
    # Sunday 29 Sep 2024 is a 调休 working day; 1–7 Oct are holidays.
    assert is_workday(dt.date(2024, 9, 29))
    assert add_workdays(dt.date(2024, 9, 29), 3) == dt.date(2024, 10, 9)


def test_adjusted_weekend_after_national_day_counts():
    # Saturday 12 Oct 2024 is a 调休 working day.
    assert add_workdays(dt.date(2024, 10, 10), 2) == dt.date(2024, 10, 12)


def test_spring_festival_2024_is_skipped():
    # Holidays 10–17 Feb 2024; Sunday 4 Feb and Sunday 18 Feb are working days.
    assert add_workdays(dt.date(2024, 2, 8), 1) == dt.date(2024, 2, 9)
    assert add_workdays(dt.date(2024, 2, 9), 1) == dt.date(2024, 2, 18)
    assert workdays_between(dt.date(2024, 2, 9), dt.date(2024, 2, 19)) == 2


def test_september_2022_of_the_brief():
    # Mid-Autumn festival, Saturday 10 to Monday 12 Sep 2022.
    assert add_workdays(dt.date(2022, 9, 8), 2) == dt.date(2022, 9, 13)


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_workdays(dt.date(2024, 5, 6), 0) == dt.date(2024, 5, 6)
    with pytest.raises(ValueError):
        add_workdays(dt.date(2024, 5, 6), -1)


def test_a_year_without_official_data_falls_back_to_weekdays():
    assert add_workdays(dt.date(2031, 1, 3), 1) == dt.date(2031, 1, 6)  # Friday → Monday


def test_counting_the_start_day_when_an_agency_does():
    # Monday 9 Sep 2024 counted as day 1 of 3 → Wednesday 11 Sep.
    assert add_workdays(dt.date(2024, 9, 9), 3, count_start_day=True) == dt.date(2024, 9, 11)
    # A start on a holiday is not counted: Tuesday 1 Oct 2024 + 1 → Tuesday 8 Oct.
    assert add_workdays(dt.date(2024, 10, 1), 1, count_start_day=True) == dt.date(2024, 10, 8)


def test_workdays_between_counts_as_walking_day_by_day_across_years():
    import datetime
    import random

    from investdesk.lib.workdays import is_workday, workdays_between

    def walked(start, end):
        if end < start:
            return -walked(end, start)
        return sum(is_workday(start + datetime.timedelta(days=i)) for i in range(1, (end - start).days + 1))

    rng = random.Random(7)
    for _ in range(300):
        start = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(3000))  # into 2028: no calendar
        end = start + datetime.timedelta(days=rng.randrange(-900, 900))
        assert workdays_between(start, end) == walked(start, end), (start, end)
