"""The app: every run's common steps (sign-in, scope, navigation, sidebar, header) and the page list.

`app.py` calls `run()`. Every run: the sign-in gate (`ui.session`: nothing of
the data before it) → read the viewer's scope options → adopt the URL →
`st.navigation(PAGES the viewer's role may open)` → sidebar filters and the
account box → header → the page.

Deep links on a fresh server (why `ensure_app` exists)
------------------------------------------------------
The folder of page files is named `pages/` (the project's agreed layout).
Streamlit treats an app with a `pages/` folder beside its main script as a
legacy multipage app until some session calls `st.navigation`: in that mode a
deep link (`/briefing`) runs the page file *alone*, without app.py. Which mode
a run uses is a process-wide flag (`PagesManager.uses_pages_directory`) that
the first `st.navigation` call turns off, so the first sessions after a server
start (and every AppTest run) get legacy runs, several at once when a clerk's
link reaches a group.

The handover is per run and per session, with no process-wide state of ours:
`run()` marks the run on the session's script thread (`_RUN.active`) while it
executes; a page calls `ui.view()` first, which calls `ensure_app()`; when the
mark is missing, the page was run alone, so `ensure_app()` runs `run()` itself
in this very run (it navigates to the same page through `st.navigation`,
drawing the sidebar and header and executing the page file inside it) and
then stops the outer execution. `tests/test_app_shell.py` checks the
Streamlit behaviour this relies on, and `tests/test_browser_deep_links.py`
opens ten deep links at once on a fresh server.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

import kpi
from kpi import calendar
from kpi.targets import TargetsError
from present import escape
from present.labels import DEFAULT_LANG, LANGS, t
from ui import session
from ui.components import header as draw_header
from ui.components import page_title_for_tab
from ui.data import ensure_current_schema, query, source_problem
from ui.filters import adopt_url, current_view, render
from ui.state import Choices, ViewState

ROOT = Path(__file__).resolve().parent.parent

# file, title label, icon — in navigation order. The URL path is the file name
# (/engagement, /kpi_catalogue; the first page is also /), the same path
# Streamlit's legacy pages/ mode gives the file.
PAGES = (
    ("pages/overview.py", "page.overview", ":material/dashboard:"),
    ("pages/engagement.py", "page.engagement", ":material/groups:"),
    ("pages/issues.py", "page.issues", ":material/forum:"),
    ("pages/disputes_safety.py", "page.disputes_safety", ":material/shield:"),
    ("pages/services.py", "page.services", ":material/handyman:"),
    ("pages/volunteers.py", "page.volunteers", ":material/volunteer_activism:"),
    ("pages/briefing.py", "page.briefing", ":material/description:"),
    ("pages/submissions.py", "page.submissions", ":material/fact_check:"),
    ("pages/explore.py", "page.explore", ":material/query_stats:"),
    ("pages/kpi_catalogue.py", "page.kpi_catalogue", ":material/menu_book:"),
)
LOADER_PAGES = (  # roles that may load ledgers (Viewer.can_load: clerks for their community, administrators)
    ("pages/intake.py", "page.intake", ":material/upload_file:"),
)
ADMIN_PAGES = (
    ("pages/audit.py", "page.audit", ":material/policy:"),
)

_CHOICES = "_ui_choices"
_SCOPE = "_ui_scope"
_RUN = threading.local()  # .active: app.run() is executing on this session's script thread


def scope():
    """`kpi.scope_options` of the current warehouse for the signed-in viewer (cached by data version)."""
    return query(kpi.scope_options, allowed=session.viewer().communities)


def choices() -> Choices:
    return st.session_state[_CHOICES]


def _nothing_to_read(problem: str) -> None:
    """The whole app when there is nothing to read (`ui.data.source_problem`): a clear bilingual message that
    says what to run, no traceback, and no server path (anyone may open this screen before signing in)."""
    def missing() -> None:
        st.title(f"{t('page.missing', 'zh')} / {t('page.missing', 'en')}", anchor=False)
        st.error(t(problem, "zh"), icon=":material/database:")
        st.error(t(problem, "en"), icon=":material/database:")

    st.navigation([st.Page(missing, title=t("page.missing", "zh"), url_path="missing")], position="hidden").run()


def _start() -> str:
    """Read the scope options, adopt the URL if new. Returns the language of this run."""
    opts = scope()
    ch = Choices.from_scope(opts, calendar.today())
    st.session_state[_SCOPE] = opts
    st.session_state[_CHOICES] = ch
    return adopt_url(ch, session.viewer().communities)


def _header(page_title: str, view: ViewState) -> None:
    """The page's header (title, scope in words, freshness, demo banner, URL notes) and browser tab title."""
    ch = choices()
    st.set_page_config(page_title=page_title_for_tab(page_title, view, ch))
    draw_header(page_title, view, ch, st.session_state[_SCOPE])


def _pages(viewer, lang: str) -> list:
    """The pages a viewer's role may open; signed out (viewer None): every page, so that any deep link stays
    addressable through the sign-in (none of them runs before it)."""
    if viewer is None:
        listed = PAGES + LOADER_PAGES + ADMIN_PAGES
    else:
        listed = PAGES + (LOADER_PAGES if viewer.can_load() else ()) + (ADMIN_PAGES if viewer.is_admin else ())
    return [
        st.Page(file, title=t(key, lang), icon=icon, url_path=Path(file).stem, default=(file == PAGES[0][0]))
        for file, key, icon in listed
        if (ROOT / file).exists()
    ]


def _url_lang() -> str:
    raw = st.query_params.get("lang")
    return raw if raw in LANGS else DEFAULT_LANG


def _account_box(viewer, lang: str) -> None:
    """Who is signed in, what they may see, and 退出登录 (sidebar, under the filters)."""
    sb = st.sidebar
    sb.divider()
    sb.caption(t("auth.signed_in_as", lang, name=viewer.display or viewer.name, role=t(f"role.{viewer.role}", lang)))
    if viewer.communities is not None:
        sb.caption(t("auth.scope_one", lang, community="、".join(viewer.communities)))
    sb.button(t("auth.sign_out", lang), on_click=session.sign_out, icon=":material/logout:", width="stretch",
              key="auth_sign_out")


def run() -> None:
    """One run of the dashboard (app.py): sign-in gate, navigation, sidebar, header, then the page."""
    _RUN.active = True
    try:
        st.set_page_config(page_title=t("app.title"), page_icon=":material/account_balance:", layout="wide",
                           initial_sidebar_state="auto")
        problem = source_problem()
        if problem is not None:
            _nothing_to_read(problem)
            return
        ensure_current_schema()
        viewer = session.current_viewer()
        if viewer is None:
            # every page stays addressable (the URL and its filters survive the sign-in), none is run
            st.navigation(_pages(None, _url_lang()), position="hidden")
            session.sign_in_screen(_url_lang())
            return
        session.write_pending_cookie()
        lang = _start()
        page = st.navigation(_pages(viewer, lang))
        view = render(choices(), viewer.communities)
        _account_box(viewer, view.lang)
        _header(page.title, view)
        try:
            page.run()
        except TargetsError as e:
            st.error(f"{t('header.targets_error', view.lang)}\n\n{escape.markdown(e.for_viewer())}",
                     icon=":material/error:")
    finally:
        _RUN.active = False


def ensure_app() -> None:
    """Called first by every page (through `ui.view()`): when Streamlit ran the page file alone (see the module
    docstring), run the app in this run instead and stop the page's own execution."""
    if getattr(_RUN, "active", False):
        return
    run()
    st.stop()


def view() -> ViewState:
    """The view of this run (`ui.view()`); hands the run over to the app first when needed."""
    ensure_app()
    return current_view()
