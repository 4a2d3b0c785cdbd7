"""Sign-in, sign-out and the role's pages in the app (AppTest); the store itself: tests/test_auth_store.py."""

from __future__ import annotations

import pytest

from tests.ui_helpers import ACCOUNTS, TEST_PASSWORD, all_text, app_env, assert_clean, run_app, token_for  # noqa: F401

pytestmark = pytest.mark.usefixtures("app_env")


def _submit(at, name: str, password: str):
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def test_signed_out_sees_only_the_sign_in_screen():
    at = run_app(role=None)
    assert_clean(at)
    text = all_text(at)
    assert "登录" in text
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe
    for community in ("南湾社区", "凤亭社区", "沌阳街道"):
        assert community not in text  # not even the street's name
    assert {t.label for t in at.text_input} == {"账号", "密码"}
    assert not at.sidebar.selectbox  # no filters either


@pytest.mark.parametrize("page", ["pages/briefing.py", "pages/issues.py", "pages/volunteers.py"])
def test_a_deep_link_run_alone_shows_the_sign_in_screen(page):
    """The page file run alone (Streamlit's legacy mode on a fresh server) is gated like any other run."""
    at = run_app(role=None, page=page)
    assert_clean(at)
    assert not at.metric and not at.dataframe and "南湾社区" not in all_text(at)
    assert {t.label for t in at.text_input} == {"账号", "密码"}


def test_wrong_password_gets_one_generic_message_and_the_right_one_signs_in():
    at = run_app(role=None)
    at = _submit(at, "leader", "not-the-password")
    assert [e.value for e in at.error] == ["账号或密码错误 / wrong account name or password"]
    at = _submit(at, "nobody-here", "not-the-password")
    assert [e.value for e in at.error] == ["账号或密码错误 / wrong account name or password"]
    at = _submit(at, "leader", TEST_PASSWORD)
    assert_clean(at)
    assert [h.value for h in at.header] == ["总览"]
    assert len(at.metric) == 8
    assert at.session_state["auth_password"] == ""  # the password is not kept in the session


def test_sign_out_ends_the_session_everywhere():
    from auth import AccountStore

    token = token_for("leader", fresh=True)
    from streamlit.testing.v1 import AppTest

    from tests.ui_helpers import APP

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["_auth_token"] = token
    at.run()
    assert len(at.metric) == 8
    at.button(key="auth_sign_out").click().run()
    assert not at.metric and {t.label for t in at.text_input} == {"账号", "密码"}
    import os

    assert AccountStore(os.environ["GOV_ACCOUNTS"]).viewer_for(token) is None  # another tab holding it: out too


def test_the_audit_page_is_listed_for_administrators_only():
    at = run_app(role="admin", page="pages/audit.py")
    assert_clean(at)
    assert [h.value for h in at.header] == ["审计日志"]
    assert at.dataframe  # the audit rows (at least the test accounts' creation and sign-ins)
    for role in ("leader", "community", "clerk"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in their navigation
            run_app(role=role, page="pages/audit.py")


def test_the_account_box_says_who_and_what_scope():
    at = run_app(role="community")
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "测试nanwan" in sidebar and "社区" in sidebar and "南湾社区" in sidebar
    at = run_app(role="leader")
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "街道领导" in sidebar and "仅可查看" not in sidebar


def test_without_accounts_the_screen_says_how_to_create_the_first_administrator(tmp_path, monkeypatch):
    monkeypatch.setenv("GOV_ACCOUNTS", str(tmp_path / "empty.sqlite"))
    at = run_app(role=None)
    assert_clean(at)
    assert not at.text_input
    assert any("--role admin" in str(c.value) for c in at.get("code"))
