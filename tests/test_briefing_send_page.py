"""发送到工作群 on the 季度简报 page: administrators only (hidden for the others, and refused in the handler).

The robot is `tests.robots`' local 钉钉 stand-in on 127.0.0.1 (no Chromium needed: a 钉钉 robot gets the text
summary only; the 企业微信 image path is covered through the CLI in tests/test_briefing_delivery.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from auth import AccountStore, Viewer
from tests.robots import fake_robots
from tests.ui_helpers import app_env, assert_clean, run_app  # noqa: F401

PAGE = "pages/briefing.py"
SECRET = "SECpage-0123456789"


@pytest.fixture(scope="module")
def robots():
    with fake_robots({"ding-token-page": SECRET}) as r:
        yield r


@pytest.fixture()
def configured(app_env, robots, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    robots.received.clear()
    config = tmp_path / "delivery.toml"
    config.write_text('[[robots]]\nkind = "dingtalk"\nname = "班子群"\nurl_env = "PAGE_DING_URL"\n'
                      'secret_env = "PAGE_DING_SECRET"\n', encoding="utf-8")
    monkeypatch.setenv("GOV_DELIVERY", str(config))
    monkeypatch.setenv("PAGE_DING_URL", robots.dingtalk(token="ding-token-page"))
    monkeypatch.setenv("PAGE_DING_SECRET", SECRET)
    return robots


def _buttons(at, key):
    return [b for b in at.button if b.key == key]


def _send_rows(since):
    import os

    return [r for r in AccountStore(os.environ["GOV_ACCOUNTS"]).audit_rows(since=since, action="send")]


def test_an_administrator_sends_to_the_group(configured):
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    at = run_app({"period": "2024Q1", "community": "南湾社区"}, page=PAGE, role="admin")
    assert_clean(at)
    assert "#1 钉钉 班子群 (PAGE_DING_URL)" in "\n".join(str(t.value) for t in at.text)
    button = _buttons(at, "briefing_send")
    assert button and button[0].disabled  # until the administrator confirms
    at.checkbox(key="briefing_send_confirm").check().run()
    _buttons(at, "briefing_send")[0].click().run()
    assert_clean(at)
    assert [(r.kind, r.msgtype, r.problem) for r in configured.received] == [("dingtalk", "markdown", None)]
    text = configured.received[0].body["markdown"]["text"]
    assert "沌阳街道南湾社区" in text and "2024Q1" in text and "187场次" in text
    assert any("已发送 文字摘要" in str(s.value) for s in at.success)
    rows = _send_rows(since)
    assert [(r["actor"], r["ok"], r["detail"]["via"], r["detail"]["sent"]) for r in rows] == [
        ("admin", True, "page", ["markdown"])]


def test_a_refusing_robot_is_shown_as_an_error(configured, monkeypatch):
    monkeypatch.setenv("PAGE_DING_URL", configured.dingtalk("errcode", token="ding-token-page"))
    at = run_app({"period": "2024Q1", "community": "南湾社区"}, page=PAGE, role="admin")
    at.checkbox(key="briefing_send_confirm").check().run()
    _buttons(at, "briefing_send")[0].click().run()
    assert not at.exception
    errors = "\n".join(str(e.value) for e in at.error)
    assert "errcode 93000" in errors and "ding\\-token" not in errors and "ding-token" not in errors
    assert any("不会自动重发" in str(w.value) for w in at.warning)


def test_a_missing_variable_is_explained_before_anything_is_sent(configured, monkeypatch):
    monkeypatch.delenv("PAGE_DING_SECRET")
    at = run_app({"period": "2024Q1", "community": "南湾社区"}, page=PAGE, role="admin")
    at.checkbox(key="briefing_send_confirm").check().run()
    _buttons(at, "briefing_send")[0].click().run()
    assert "PAGE\\_DING\\_SECRET" in "\n".join(str(e.value) for e in at.error)
    assert configured.received == []


@pytest.mark.parametrize("role", ["leader", "community", "clerk"])
def test_hidden_for_everyone_else(configured, role):
    at = run_app({"period": "2024Q1", "community": "南湾社区"}, page=PAGE, role=role)
    assert_clean(at)
    assert not _buttons(at, "briefing_send")
    assert not [c for c in at.checkbox if c.key == "briefing_send_confirm"]
    assert "PAGE_DING_URL" not in "\n".join(str(t.value) for t in at.text)


def test_the_handler_refuses_a_non_administrator(configured, con, monkeypatch):
    """Hiding the button is not the guard: `ui.delivery.send` itself refuses anyone but an administrator."""
    from briefing import build
    from tests.conftest import TARGETS
    from ui import delivery as ui_delivery
    from ui import session

    # the rows after the last one already there: a test on this worker may have sent within the last second
    last_id = max((r["id"] for r in _send_rows(None)), default=0)
    b = build(con, "2024Q1", "南湾社区", targets=TARGETS)
    monkeypatch.setattr(session, "current_viewer", lambda: Viewer("leader", "leader"))
    with pytest.raises(PermissionError):
        ui_delivery.send(b, "zh")
    monkeypatch.setattr(session, "current_viewer", lambda: None)
    with pytest.raises(PermissionError):
        ui_delivery.send(b, "zh")
    assert configured.received == []
    rows = [r for r in _send_rows(None) if r["id"] > last_id]
    assert [(r["actor"], r["ok"], r["detail"]["refused"]) for r in rows] == [
        ("leader", False, "not an administrator"), (None, False, "not an administrator")]


def test_without_a_config_the_administrator_is_told_how(app_env, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GOV_DELIVERY", str(tmp_path / "none.toml"))
    at = run_app({"period": "2024Q1"}, page=PAGE, role="admin")
    assert_clean(at)
    assert not _buttons(at, "briefing_send")
    assert any("尚未配置群机器人" in str(i.value) for i in at.info)
