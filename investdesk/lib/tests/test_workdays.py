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


@pytest.fixture
def holidays_file(tmp_path, settings):
    """A HOLIDAYS_FILE of the test's own; the calendar reads it afresh and forgets it afterwards."""
    from investdesk.lib import workdays

    path = tmp_path / "holidays.csv"
    settings.HOLIDAYS_FILE = path

    def write(text: str):
        path.write_text(text, encoding="utf-8")
        workdays.reload()
        return path

    yield write
    workdays.reload()


def test_the_holidays_file_gives_a_year_the_package_does_not_know(holidays_file, caplog):
    # 2031 is unknown to the package: Friday 3 Jan is listed as a day off, Saturday 4 Jan as a 调休 working day.
    holidays_file("日期,安排,名称\n# 国务院办公厅通知\n2031-01-01,休,元旦\n2031-01-03,休,元旦\n2031-01-04,班,调休\n")
    assert not is_workday(dt.date(2031, 1, 1)) and not is_workday(dt.date(2031, 1, 3))
    assert is_workday(dt.date(2031, 1, 4)) and is_workday(dt.date(2031, 1, 2))
    assert add_workdays(dt.date(2031, 1, 2), 1) == dt.date(2031, 1, 4)
    assert add_workdays(dt.date(2031, 1, 2), 2) == dt.date(2031, 1, 6)  # the Sunday is not listed: off
    assert workdays_between(dt.date(2030, 12, 31), dt.date(2031, 1, 6)) == 3
    assert "2031" not in caplog.text and "for 2030 yet" in caplog.text  # 2031 is configured, 2030 not


def test_the_holidays_file_corrects_a_day_the_package_knows(holidays_file):
    assert is_workday(dt.date(2024, 9, 30))
    holidays_file("2024-09-30,休,临时调整\n")
    assert not is_workday(dt.date(2024, 9, 30))
    assert add_workdays(dt.date(2024, 9, 29), 1) == dt.date(2024, 10, 8)


def test_a_bad_line_of_the_holidays_file_is_named(holidays_file):
    from django.core.exceptions import ImproperlyConfigured

    from investdesk.lib.workdays import check_holidays

    path = holidays_file("2031-01-01,休,元旦\n2031-13-01,休,元旦\n")
    with pytest.raises(ImproperlyConfigured, match="line 2: '2031-13-01' is not a date"):
        is_workday(dt.date(2031, 1, 1))
    [error] = check_holidays()
    assert error.id == "investdesk.E020" and str(path) in error.msg
    holidays_file("2031-01-01,maybe,元旦\n")
    with pytest.raises(ImproperlyConfigured, match="line 1: the second column must be 休"):
        is_workday(dt.date(2031, 1, 1))


def test_the_check_warns_from_november_about_an_unknown_next_year(holidays_file, time_machine):
    from investdesk.lib.workdays import check_holidays

    holidays_file("")
    time_machine.move_to(dt.datetime(2030, 10, 30, 12))
    assert [w.msg[:48] for w in check_holidays()] == ["The working-day calendar does not know 2030: dea"]
    time_machine.move_to(dt.datetime(2030, 11, 2, 12))
    assert [w.id for w in check_holidays()] == ["investdesk.W020", "investdesk.W020"]
    holidays_file("2030-01-01,休,元旦\n2031-01-01,休,元旦\n")
    assert check_holidays() == []
    time_machine.move_to(dt.datetime(2025, 11, 2, 12))  # the package knows 2025 and 2026
    holidays_file("")
    assert check_holidays() == []
