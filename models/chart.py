"""Signatures per day: the figures (one query) and their bar chart as SVG, drawn server-side by
pygal so it reads without JavaScript (pages show it as an image with the same figures in a table)."""
import datetime as dt

import peewee as pw

from models import clock
from models.signature import Signature

MAX_DAYS = 366  # the chart shows at most the last year of a petition


def _as_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def signatures_per_day(petition):
    """[(date, confirmed signatures that day)] from the first day to the last (or today while it is
    open), days without signatures included as 0. Empty when nobody has confirmed yet."""
    day = pw.fn.DATE(Signature.confirmed_at)
    rows = (Signature.select(day.alias("day"), pw.fn.COUNT(Signature.id).alias("n"))
            .where((Signature.petition == petition) & Signature.confirmed_at.is_null(False))
            .group_by(day).order_by(day).tuples())
    counts = {_as_date(d): n for d, n in rows}
    if not counts:
        return []
    first = min(counts)
    if petition.opens_at:
        first = min(first, petition.opens_at.date())
    last = max(counts)
    end = petition.closed_at.date() if petition.closed_at else clock.today()
    last = max(last, min(end, clock.today()))
    first = max(first, last - dt.timedelta(days=MAX_DAYS - 1))
    days = (last - first).days + 1
    return [(first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0)) for i in range(days)]


def svg(rows, title):
    """The bar chart of rows as an SVG document (no scripts run: pages use it as an <img>)."""
    import pygal
    from pygal.style import Style

    style = Style(background="#ffffff", plot_background="#ffffff", foreground="#1d2530",
                  foreground_strong="#1d2530", foreground_subtle="#5b6675", colors=("#1e7a3c",),
                  font_family="system-ui, sans-serif", label_font_size=12, major_label_font_size=12,
                  title_font_size=16)
    chart = pygal.Bar(style=style, js=[], disable_xml_declaration=True, show_legend=False, width=800,
                      height=320, title=title, x_label_rotation=30, show_minor_x_labels=False,
                      truncate_label=-1, print_values=False, margin=16)
    labels = [day.isoformat() for day, _n in rows]
    chart.x_labels = labels
    step = max(1, len(labels) // 10)
    chart.x_labels_major = labels[::step]
    chart.add(title, [n for _day, n in rows])
    return chart.render(is_unicode=True)
