"""Calendar-month arithmetic shared by every app.

Terms and duties in the seeds are counted in months, not days: "挂职时间一般为一年"
and "每半年要进行书面汇报一次工作" (seeds/004_588b3c74b765e5c6.txt), terms of a
year or half a year by post (seeds/002_04891ba99692d873.txt), and the
"日记录、月小结、年评议" of the dossier (seeds/001_85e949d3e1742e79.txt).
This module imports no app, only the standard library.
"""

import calendar
import datetime as dt


def month_days(month: dt.date) -> int:
    """Number of days in the calendar month that contains ``month``.

    Bounds the days of a 月小结 ("日记录、月小结、年评议",
    seeds/001_85e949d3e1742e79.txt): attendance cannot exceed the month.
    """
    return calendar.monthrange(month.year, month.month)[1]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (negative goes back).

    The term ("挂职时间一般为一年") and the half-yearly report
    ("每半年要进行书面汇报一次工作"), both seeds/004_588b3c74b765e5c6.txt,
    are counted in calendar months. A day past the target month's end is
    clamped to its last day: 31 Aug + 6 months is 28/29 Feb.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    first = dt.date(year, month0 + 1, 1)
    return first.replace(day=min(day.day, month_days(first)))
