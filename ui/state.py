"""The view state (filters + language) and its URL form. Pure functions (no Streamlit).

URL parameters (all optional; defaults are left out of the URL):

| name | values | default |
|---|---|---|
| `period` | `this_month`, `this_quarter`, `last_quarter`, `this_year`, `last_12_months`, a quarter `2024Q1`, or `custom` | `last_quarter` |
| `start`, `end` | `YYYY-MM-DD`, with `period=custom` (both required; `start`+`end` alone also mean custom) | — |
| `community` | community name, repeatable (`?community=A&community=B`, the written form; a value that is not a known name is also read as a list `A,B`, so a name holding a comma round-trips) | all |
| `compound` | compound name within the chosen communities, repeatable | all |
| `pillar` | pillar name (联动联建, 居民自治, 志愿服务, 社会治理), repeatable | all |
| `lang` | `zh`, `en` | `zh` |

`parse_query` never fails: an invalid value falls back to its default and
adds a `Note` (label key + value) that the UI shows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from kpi import calendar
from kpi.calendar import Quarter
from kpi.filters import Filters
from present.labels import DEFAULT_LANG, LANGS

PARAMS = ("period", "start", "end", "community", "compound", "pillar", "lang")


@dataclass(frozen=True)
class Note:
    """Something in the URL that was not valid: label key (ui.labels, `note.*`) and the offending value."""

    key: str
    value: str = ""


@dataclass(frozen=True)
class Choices:
    """What the filters may hold (from kpi.scope_options) and what 'today' is."""

    communities: tuple[str, ...]
    compounds_of: Mapping[str, tuple[str, ...]]  # community → its compounds
    pillars: tuple[str, ...]
    today: date
    first_date: date | None = None  # the data's first date (quarter options start there)
    streets: Mapping[str, str] = field(default_factory=dict)  # community → street

    def compounds_for(self, communities: Sequence[str]) -> list[str]:
        out: list[str] = []
        for c in communities:
            out += [x for x in self.compounds_of.get(c, ()) if x not in out]
        return out

    @classmethod
    def from_scope(cls, opts, today: date) -> Choices:
        """From a `kpi.ScopeOptions`."""
        comm = tuple(opts.communities["community"])
        streets = dict(zip(opts.communities["community"], opts.communities["street"], strict=True))
        cmp: dict[str, tuple[str, ...]] = {}
        for c, x in zip(opts.compounds["community"], opts.compounds["compound"], strict=True):
            cmp[c] = cmp.get(c, ()) + (x,)
        return cls(comm, cmp, tuple(opts.pillars), today, opts.min_date, streets)


@dataclass(frozen=True)
class ViewState:
    """What every page shows: the period, the scope and the language."""

    start: date
    end: date
    period: str = calendar.DEFAULT  # preset token, quarter code (2024Q1) or 'custom'
    communities: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()
    pillars: tuple[str, ...] = ()
    lang: str = DEFAULT_LANG
    allowed: tuple[str, ...] | None = None  # the signed-in viewer's communities (None = all); never in the URL

    @property
    def filters(self) -> Filters:
        """The kpi scope of this view, restricted to what the viewer may see (kpi enforces it)."""
        return Filters(self.start, self.end, self.communities, self.compounds, self.pillars, allowed=self.allowed)

    @property
    def period_choice(self) -> str:
        """The period widget's choice: a preset, 'quarter' or 'custom'."""
        return calendar.QUARTER if Quarter.parse_or_none(self.period) else self.period

    @classmethod
    def default(cls, today: date, lang: str = DEFAULT_LANG) -> ViewState:
        p = calendar.resolve(calendar.DEFAULT, today)
        return cls(p.start, p.end, calendar.DEFAULT, lang=lang)


def _values(params: Mapping[str, object], key: str, known: Collection[str] = ()) -> list[str]:
    """All values of a parameter, in order, empty and repeated ones dropped.

    A value is taken whole when it is a `known` name (so a name holding `,` or `，` round-trips: `to_query`
    writes one parameter per name); any other value is read as a legacy comma-separated list (`A,B`, `A，B`).
    """
    raw = params.get(key)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)  # type: ignore[arg-type]
    out: list[str] = []
    for item in items:
        item = str(item)
        whole = item if item in known else item.strip() if item.strip() in known else None
        parts = [whole] if whole is not None else [p.strip() for p in item.replace("，", ",").split(",")]
        for part in parts:
            if part and part not in out:
                out.append(part)
    return out


def _one(params: Mapping[str, object], key: str) -> str | None:
    raw = params.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raw = list(raw)[-1] if list(raw) else ""  # type: ignore[arg-type]
    raw = str(raw).strip()
    return raw or None


def _date(raw: str | None, notes: list[Note], today: date) -> date | None:
    if raw is None:
        return None
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        notes.append(Note("note.date_invalid", raw))
        return None
    if d < calendar.DATE_MIN or d > calendar.date_max(today):
        notes.append(Note("note.date_range", raw))
        return None
    return d


def parse_query(params: Mapping[str, object], choices: Choices, restricted: bool = False
                ) -> tuple[ViewState, list[Note]]:
    """The view a URL asks for, and notes on what in it was invalid (never raises).

    `restricted`: the viewer sees only the communities in `choices`; a community outside them gets the note
    that the view stays on the viewer's own community (it is not said whether that community exists)."""
    notes: list[Note] = []
    today = choices.today

    lang = _one(params, "lang") or DEFAULT_LANG
    if lang.lower() not in LANGS:
        notes.append(Note("note.lang_unknown", lang))
        lang = DEFAULT_LANG
    lang = lang.lower()

    # period
    period = _one(params, "period")
    raw_start, raw_end = _one(params, "start"), _one(params, "end")
    if period is None and (raw_start or raw_end):
        period = calendar.CUSTOM
    period = period or calendar.DEFAULT
    start = end = None
    if period.lower() in calendar.PRESETS or period.lower() == calendar.CUSTOM:
        period = period.lower()
    q = Quarter.parse_or_none(period)
    if q:
        period = q.code
        if not calendar.DATE_MIN.year <= q.year <= calendar.date_max(today).year:
            notes.append(Note("note.date_range", period))
            period = calendar.DEFAULT
    before = len(notes)
    s, e = _date(raw_start, notes, today), _date(raw_end, notes, today)  # noted even when not used
    if period == calendar.CUSTOM:
        if s is None or e is None:
            if len(notes) == before:
                notes.append(Note("note.date_missing"))
            period = calendar.DEFAULT
        elif e < s:
            notes.append(Note("note.date_order", f"{raw_start} – {raw_end}"))
            period = calendar.DEFAULT
        else:
            start, end = s, e
    try:
        resolved = calendar.resolve(period, today, start, end)
    except ValueError:
        notes.append(Note("note.period_invalid", period))
        period = calendar.DEFAULT
        resolved = calendar.resolve(period, today)
    start, end = resolved.start, resolved.end

    # scope
    communities: list[str] = []
    for c in _values(params, "community", set(choices.communities)):
        if c in choices.communities:
            communities.append(c)
        else:
            notes.append(Note("note.community_out_of_scope" if restricted else "note.community_unknown", c))
    wanted_compounds = _values(params, "compound", {x for xs in choices.compounds_of.values() for x in xs})
    if wanted_compounds and not communities:
        # a compound alone names its community
        communities = [c for c in choices.communities if set(choices.compounds_of.get(c, ())) & set(wanted_compounds)]
    allowed = choices.compounds_for(communities)
    compounds: list[str] = []
    for x in wanted_compounds:
        if x in allowed:
            compounds.append(x)
        else:
            notes.append(Note("note.compound_unknown", x))
    pillars: list[str] = []
    for p in _values(params, "pillar", set(choices.pillars)):
        if p in choices.pillars:
            pillars.append(p)
        else:
            notes.append(Note("note.pillar_unknown", p))

    view = ViewState(start, end, period, tuple(communities), tuple(compounds), tuple(pillars), lang)
    return view, notes


def to_query(view: ViewState) -> dict[str, list[str]]:
    """The URL parameters of a view (defaults left out); values are lists (repeated parameters)."""
    q: dict[str, list[str]] = {}
    if view.period != calendar.DEFAULT:
        q["period"] = [view.period]
    if view.period == calendar.CUSTOM:
        q["start"] = [view.start.isoformat()]
        q["end"] = [view.end.isoformat()]
    if view.communities:
        q["community"] = list(view.communities)
    if view.compounds:
        q["compound"] = list(view.compounds)
    if view.pillars:
        q["pillar"] = list(view.pillars)
    if view.lang != DEFAULT_LANG:
        q["lang"] = [view.lang]
    return q


def query_string(view: ViewState) -> str:
    """`to_query` as a URL query string (with the leading '?', or '' for the default view)."""
    from urllib.parse import urlencode

    q = to_query(view)
    if not q:
        return ""
    return "?" + urlencode([(k, v) for k, vs in q.items() for v in vs])
