"""Who is looking: the sign-in screen, the session cookie, sign-out, and audit records of what a viewer does.

The session secret stays on the server (`auth.AccountStore`: only a hash of a random token is stored); the
browser holds the token in one cookie, `gov_session` (Path=/, SameSite=Strict, Secure on HTTPS, Max-Age =
the idle limit). Streamlit reads cookies only from the request that opens a session (`st.context.cookies`),
and cannot set one from the server, so:

- a new session (reload, new tab, deep link) reads the token from the cookie and asks the store whether it
  is still valid (`viewer_for`: not signed out, not idle for 8 hours, account not disabled);
- signing in keeps the token in the session and writes the cookie with a short script in the next run
  (`st.html(..., unsafe_allow_javascript=True)`; the script holds nothing but the token, which is URL-safe);
- 退出登录 ends the session in the store (so every tab holding the token is signed out on its next run)
  and clears the cookie the same way.

Why not `st.login`: it needs an OIDC provider, which a street office's internal network usually does not
have; local accounts are the default (docs/security.md). Why not a cookie component: it would be another
front-end build to keep, for what two lines of script do.
"""

from __future__ import annotations

import json
import os

import streamlit as st

from auth import AccountLocked, AccountStore, SignInFailed, Viewer
from auth.store import default_accounts_path
from present.labels import t
from ui import theme
from ui.data import db_path

COOKIE = "gov_session"
_TOKEN = "_auth_token"
_VIEWER = "_auth_viewer"
_SIGNED_OUT = "_auth_signed_out"  # this session signed out: ignore the cookie it was opened with
_WRITE_COOKIE = "_auth_write_cookie"  # a token to write into the cookie in this run (after sign-in)
_CLEAR_COOKIE = "_auth_clear_cookie"
_ERROR = "_auth_error"


@st.cache_resource(show_spinner=False)
def _store(path: str) -> AccountStore:
    return AccountStore(path)


def store() -> AccountStore:
    """The account store ($GOV_ACCOUNTS or data/accounts.sqlite), one per path per server."""
    return _store(str(default_accounts_path()))


def _client_ip() -> str | None:
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - not available outside a server (AppTest)
        return None
    return ip if isinstance(ip, str) else None


def _token() -> str | None:
    ss = st.session_state
    if ss.get(_TOKEN):
        return ss[_TOKEN]
    if ss.get(_SIGNED_OUT):
        return None
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest): no cookie
        return None
    return value if isinstance(value, str) and value else None


TRUSTED_HEADER_ENV = "GOV_TRUSTED_HEADER"  # e.g. X-Remote-User: the account name a reverse proxy vouches for
TRUSTED_PROXIES_ENV = "GOV_TRUSTED_PROXIES"  # comma-separated addresses of those proxies (127.0.0.1 for local)


def _trusted_account() -> str | None:
    """The account name from the trusted header, when single sign-on through a reverse proxy is configured and
    this session's connection comes from one of the configured proxy addresses; else None."""
    header = os.environ.get(TRUSTED_HEADER_ENV, "").strip()
    proxies = {p.strip() for p in os.environ.get(TRUSTED_PROXIES_ENV, "").split(",") if p.strip()}
    if not header or not proxies:
        return None
    try:
        headers = st.context.headers
        value = headers.get(header)
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return None
    if not isinstance(value, str) or not value.strip() or not headers:
        return None
    peer = ip if isinstance(ip, str) else "127.0.0.1"  # Streamlit reports a loopback peer as None
    return value.strip() if peer in proxies else None


def current_viewer() -> Viewer | None:
    """The signed-in viewer of this run, or None. Checked against the store on every run (sign-out and
    disabling take effect at once). Without a session, a trusted proxy's header (single sign-on) opens one."""
    token = _token()
    viewer = store().viewer_for(token) if token else None
    ss = st.session_state
    if viewer is None and not ss.get(_SIGNED_OUT):
        name = _trusted_account()
        if name:
            try:
                viewer, token = store().trusted_sign_in(name, via=f"header {os.environ[TRUSTED_HEADER_ENV]}",
                                                        ip=_client_ip())
            except SignInFailed:
                viewer = None
    if viewer is None:
        ss.pop(_TOKEN, None)
        ss.pop(_VIEWER, None)
        return None
    ss[_TOKEN] = token
    ss[_VIEWER] = viewer
    return viewer


def viewer() -> Viewer:
    """The signed-in viewer (only called after the gate in `ui.shell.run`)."""
    v = st.session_state.get(_VIEWER)
    if v is None:
        raise RuntimeError("no signed-in viewer: the sign-in gate did not run")
    return v


def _cookie_script(value: str, max_age: int) -> str:
    return (
        "<script>(function(){var secure = location.protocol === 'https:' ? '; Secure' : '';"
        f"document.cookie = {json.dumps(COOKIE + '=' + value)} + '; Path=/; Max-Age={max_age}; SameSite=Strict'"
        " + secure;})();</script>"
    )


def write_pending_cookie() -> None:
    """Write or clear the cookie when a sign-in or sign-out asked for it (call once per run, anywhere)."""
    ss = st.session_state
    token = ss.pop(_WRITE_COOKIE, None)
    if token:
        from auth import session_idle

        st.html(_cookie_script(token, int(session_idle().total_seconds())), unsafe_allow_javascript=True,
                width="content")
    if ss.pop(_CLEAR_COOKIE, False):
        st.html(_cookie_script("", 0), unsafe_allow_javascript=True, width="content")


def _sign_in(name_key: str, password_key: str) -> None:
    """The form's callback: check the account, start a session, remember to write the cookie."""
    ss = st.session_state
    name = str(ss.get(name_key) or "").strip()
    password = str(ss.get(password_key) or "")
    ss[password_key] = ""  # never keep the password in the session
    try:
        v, token = store().sign_in(name, password, ip=_client_ip())
    except AccountLocked as e:
        ss[_ERROR] = str(e)
        return
    except SignInFailed as e:
        ss[_ERROR] = str(e)
        return
    ss[_TOKEN], ss[_VIEWER], ss[_WRITE_COOKIE] = token, v, token
    ss.pop(_SIGNED_OUT, None)
    ss.pop(_ERROR, None)


def sign_out() -> None:
    """The 退出登录 button's callback: end the session everywhere and clear the cookie."""
    ss = st.session_state
    token = ss.pop(_TOKEN, None) or _token()
    if token:
        store().sign_out(token)
    ss.pop(_VIEWER, None)
    ss[_SIGNED_OUT] = True
    ss[_CLEAR_COOKIE] = True


def sign_in_screen(lang: str) -> None:
    """The screen before anything else: account, password, 登录. Shows no page, number or community name,
    except the demo accounts while the warehouse is the demo (they are demo data)."""
    write_pending_cookie()
    theme.page()
    s = store()
    st.title(t("auth.title", lang), anchor=False)
    st.caption(t("auth.intro", lang))
    if not s.has_accounts():
        st.info(t("auth.no_accounts", lang), icon=":material/person_add:")
        st.code(t("auth.first_admin_command", lang), language="bash")
        return
    with st.form("sign_in", clear_on_submit=False, enter_to_submit=True, border=True):
        st.text_input(t("auth.name", lang), key="auth_name", autocomplete="username")
        st.text_input(t("auth.password", lang), key="auth_password", type="password",
                      autocomplete="current-password")
        st.form_submit_button(t("auth.submit", lang), type="primary", on_click=_sign_in,
                              args=("auth_name", "auth_password"), width="stretch")
    error = st.session_state.pop(_ERROR, None)
    if error:
        st.error(error, icon=":material/lock:")
    demo = s.demo_credentials(db_path()) if db_path().exists() else []
    if demo:
        st.warning(t("auth.demo_accounts", lang), icon=":material/science:")
        st.dataframe(
            [{t("auth.col_name", lang): d.name, t("auth.col_role", lang): t(f"role.{d.role}", lang),
              t("auth.col_community", lang): d.community or t("auth.all_communities", lang),
              t("auth.col_password", lang): d.password} for d in demo],
            hide_index=True, width="content")


def record(action: str, target: str | None = None, detail: dict | None = None) -> None:
    """An audit row for what the signed-in viewer just did (download, export …). Never a password or a
    personal value: `detail` holds filters and formats."""
    v = st.session_state.get(_VIEWER)
    store().record(v.name if v else None, action, target, detail)


def audit_frame(since, until, user: str | None, action: str | None, lang: str):
    """The audit trail for the 审计日志 page (administrators only): newest first, times in Beijing time,
    actions in words. Raises PermissionError for anyone else (the page list hides it too)."""
    import pandas as pd

    from auth import ACTIONS
    from present.format import fmt_timestamp

    v = st.session_state.get(_VIEWER)
    if v is None or not v.is_admin:
        raise PermissionError("the audit trail is for administrators")
    rows = store().audit_rows(since=since, until=until, user=user or None, action=action or None)
    frame = pd.DataFrame([{
        "at": fmt_timestamp(r["at"].replace(tzinfo=None), lang) if r["at"] else "",
        "actor": r["actor"] or "—",
        "action": ACTIONS.get(r["action"], r["action"]) if lang == "zh" else r["action"],
        "target": r["target"] or "",
        "ok": r["ok"],
        "detail": json.dumps(r["detail"], ensure_ascii=False, sort_keys=True) if r["detail"] else "",
    } for r in reversed(rows)], columns=["at", "actor", "action", "target", "ok", "detail"])
    return frame


def audit_actions() -> dict[str, str]:
    from auth import ACTIONS

    return dict(ACTIONS)
