"""Delivery of the briefing to work-chat group robots (`briefing.delivery`, `python -m briefing --send`).

Every request goes to `tests.robots`: a local HTTP server on 127.0.0.1 that plays the 企业微信 and 钉钉 robots,
checks the payloads (md5, size, signature) and answers success or an error. Nothing leaves the machine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json

import pytest
from PIL import Image

from auth import AccountStore
from briefing import build, delivery, render
from briefing.__main__ import main
from kpi.calendar import Quarter, last_complete_quarter
from tests.conftest import TARGETS
from tests.robots import fake_robots

needs_chromium = pytest.mark.skipif(not render.available(),
                                    reason="Chromium not found (/usr/bin/chromium): the 长图 cannot be rendered")
SECRET = "SECtest-0123456789abcdef"
KEYS = ("wecom-key-0001", "ding-token-0001", SECRET)  # must never show in reports, output or the audit


@pytest.fixture(scope="module")
def robots():
    with fake_robots({"ding-token-0001": SECRET}) as r:
        yield r


@pytest.fixture()
def fresh(robots):
    robots.received.clear()
    return robots


@pytest.fixture(scope="module")
def b(con):
    return build(con, "2024Q1", "南湾社区", targets=TARGETS)


def _png(size: int = 40_000) -> bytes:
    """A real PNG of roughly `size` bytes (noise does not compress)."""
    import numpy as np

    side = max(int((size / 3) ** 0.5), 8)
    arr = np.random.default_rng(7).integers(0, 255, (side, side, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG", compress_level=0)
    return buf.getvalue()


def _targets(robots, wecom="ok", dingtalk="ok", secret=True) -> list[delivery.Target]:
    env = {"W_URL": robots.wecom(wecom), "D_URL": robots.dingtalk(dingtalk), "D_SECRET": SECRET}
    config = '[[robots]]\nkind = "wecom"\nurl_env = "W_URL"\n\n[[robots]]\nkind = "dingtalk"\nurl_env = "D_URL"\n'
    if secret:
        config += 'secret_env = "D_SECRET"\n'
    return delivery.resolve(delivery.parse_config(config), env)


# ---------------------------------------------------------------- config and environment

@pytest.mark.parametrize(("toml", "zh", "en"), [
    ('[[robots]]\nkind = "wecom"\nurl = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"\n',
     "未知的键：url", "environment variables"),
    ('[[robots]]\nkind = "slack"\nurl_env = "X"\n', "wecom 或 dingtalk", "kind must be"),
    ('[[robots]]\nkind = "wecom"\nurl_env = "https://x"\n', "环境变量名", "environment variable name"),
    ('[[robots]]\nkind = "wecom"\nurl_env = "W"\nsecret_env = "S"\n', "没有签名密钥", "no signing secret"),
    ('robots = []\n', "没有机器人", "no robots"),
    ('[[robots]\n', "不是有效的 TOML", "not valid TOML"),
    ('[[robots]]\nkind = "wecom"\nurl_env = "W"\n[smtp]\nhost = "x"\n', "未知的项", "unknown entries"),
], ids=["literal-url", "bad-kind", "url-not-a-name", "wecom-secret", "empty", "bad-toml", "extra-table"])
def test_config_errors(toml, zh, en):
    with pytest.raises(delivery.DeliveryError) as e:
        delivery.parse_config(toml)
    assert e.value.code == "config" and zh in e.value.zh and en in e.value.en


def test_environment_is_checked_and_named_never_shown():
    robots = delivery.parse_config('[[robots]]\nkind = "dingtalk"\nurl_env = "D_URL"\nsecret_env = "D_SECRET"\n'
                                   '[[robots]]\nkind = "wecom"\nurl_env = "W_URL"\n')
    with pytest.raises(delivery.DeliveryError) as e:
        delivery.resolve(robots, {"D_URL": "ftp://x/robot/send?access_token=SEEKRIT"})
    msg = e.value.zh + e.value.en
    assert "D_SECRET" in msg and "W_URL" in msg and "D_URL" in msg and "Nothing was sent" in msg
    assert "SEEKRIT" not in msg
    ok = delivery.resolve(robots, {"D_URL": "https://oapi.dingtalk.com/robot/send?access_token=SEEKRIT",
                                   "D_SECRET": "SEC1", "W_URL": "https://qyapi.weixin.qq.com/x?key=K"})
    assert [t.robot.kind for t in ok] == ["dingtalk", "wecom"] and "SEEKRIT" not in repr(ok)


def test_redact_hides_addresses_secrets_and_query_keys():
    t = delivery.Target(delivery.Robot(1, "dingtalk", "D"), "https://h/robot/send?access_token=abc", "SECxyz")
    s = delivery.redact("POST https://h/robot/send?access_token=abc&timestamp=1&sign=Zz%2B failed; SECxyz; "
                        "other?key=k123", [t])
    assert "abc" not in s and "SECxyz" not in s and "Zz" not in s and "k123" not in s
    assert s.count("***") >= 3


# ---------------------------------------------------------------- the messages

def test_dingtalk_signature_is_the_documented_one():
    # openssl: printf '1700000000000\nSECabc123' | openssl dgst -sha256 -hmac SECabc123 -binary | base64
    url = delivery.signed_url("https://oapi.dingtalk.com/robot/send?access_token=T", "SECabc123", 1700000000000)
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000"
                   "&sign=N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D")
    assert delivery.signed_url("https://x/send?access_token=T", None) == "https://x/send?access_token=T"


def test_wecom_image_message_carries_base64_and_md5():
    msgs = delivery.messages("wecom", b"hello", delivery.Summary("t", "x"))
    assert [m.what for m in msgs] == ["image", "markdown"]
    assert msgs[0].payload == {"msgtype": "image", "image": {"base64": "aGVsbG8=",
                                                             "md5": "5d41402abc4b2a76b9719d911017c592"}}
    assert msgs[1].payload == {"msgtype": "markdown", "markdown": {"content": "x"}}
    assert delivery.messages("dingtalk", b"hello", delivery.Summary("t", "x"))[0].payload == {
        "msgtype": "markdown", "markdown": {"title": "t", "text": "x"}}


def test_summary_has_scope_quarter_three_numbers_and_warnings(b):
    s = delivery.summary(b, "zh")
    for part in ("沌阳街道南湾社区", "2024年第一季度（2024Q1）", "活动场次：**187场次**（环比 -10.5%）",
                 "参与人次：**3,956人次**（环比 -9.9%）", "办结率：**63.9%**（环比 -18.5个百分点）",
                 "预警 0 条（红色 0 · 黄色 0）", "数据截至 2026-09-30", "**演示数据**"):
        assert part in s.text, part
    en = delivery.summary(b, "en").text
    assert "Activities: **187 activities** (QoQ -10.5%)" in en and "0 warnings (0 red · 0 yellow)" in en
    assert "Q1 2024 (2024Q1)" in en


def test_summary_escapes_ledger_text(b):
    scope = dataclasses.replace(b.meta.scope, community="[点我](http://evil) <font color=red>@all</font>")
    evil = dataclasses.replace(b, meta=dataclasses.replace(b.meta, scope=scope))
    text = delivery.summary(evil, "zh").text
    assert "[点我]" not in text and "](" not in text and "<font" not in text and "@all" not in text
    assert "［点我］（http：//evil）" in text


# ---------------------------------------------------------------- sending

def test_both_kinds_receive_what_their_api_expects(fresh, b):
    image = _png()
    plan = delivery.prepare(_targets(fresh), b, image, "zh")
    report = delivery.deliver(plan)
    assert report.ok, report.lines("en")
    assert [(r.kind, r.msgtype, r.problem) for r in fresh.received] == [
        ("wecom", "image", None), ("wecom", "markdown", None), ("dingtalk", "markdown", None)]
    img = fresh.received[0].body["image"]
    assert img["md5"] == hashlib.md5(image).hexdigest()
    ding = fresh.received[2]
    assert set(ding.query) == {"access_token", "timestamp", "sign"}
    assert report.image_bytes == len(image)
    assert [r.sent for r in report.results] == [["image", "markdown"], ["markdown"]]


def test_an_unsigned_request_to_a_signing_robot_is_refused_and_reported(fresh, b):
    report = delivery.deliver(delivery.prepare(_targets(fresh, secret=False), b, _png(), "zh"))
    assert not report.ok
    wecom, ding = report.results
    assert wecom.ok and not ding.ok and ding.failed == "markdown"
    assert "errcode 310000" in ding.error("en") and "sign missing" in ding.error("en")
    assert "钉钉" in ding.line("zh") and "发送失败" in ding.line("zh")


def test_a_refused_image_skips_that_robots_text_and_the_others_are_still_served(fresh, b):
    report = delivery.deliver(delivery.prepare(_targets(fresh, wecom="image-errcode"), b, _png(), "zh"))
    wecom, ding = report.results
    assert wecom.sent == [] and wecom.failed == "image" and wecom.skipped == ["markdown"]
    assert "errcode 93000" in wecom.error("en") and "invalid webhook url" in wecom.error("en")
    assert ding.ok and ding.sent == ["markdown"]
    assert [(r.kind, r.msgtype) for r in fresh.received] == [("wecom", "image"), ("dingtalk", "markdown")]
    text = "\n".join(report.lines("zh") + report.lines("en")) + json.dumps([r.audit_detail() for r in report.results])
    assert not any(k in text for k in KEYS)
    assert "#1 企业微信 (W_URL)：已发送 无；长图发送失败：机器人拒收：errcode 93000" in text


def test_http_500_and_a_timeout(fresh, b):
    fresh.slow_s = 2.0
    report = delivery.deliver(delivery.prepare(_targets(fresh, wecom="http500", dingtalk="slow"), b, _png(), "zh"),
                              timeout=0.5)
    wecom, ding = report.results
    assert wecom.error("en") == "HTTP status 500" and wecom.error("zh") == "HTTP 状态 500"
    assert ding.failed == "markdown" and "timeout" in ding.error("en") and "超时" in ding.error("zh")


def test_nothing_is_sent_when_the_image_is_too_large_or_missing(fresh, b):
    big = _png(2 * 1024 * 1024 + 50_000)
    assert len(big) > 2 * 1024 * 1024
    with pytest.raises(delivery.DeliveryError) as e:
        delivery.prepare(_targets(fresh), b, big, "zh")
    assert e.value.code == "image" and "2 MB" in e.value.zh and "Nothing was sent" in e.value.en
    with pytest.raises(delivery.DeliveryError):
        delivery.prepare(_targets(fresh), b, None, "zh")
    with pytest.raises(delivery.DeliveryError):
        delivery.prepare(_targets(fresh), b, b"GIF89a not a png", "zh")
    assert fresh.received == []


def test_connection_refused_is_reported(b):
    with fake_robots() as gone:
        url = gone.dingtalk()
    t = delivery.resolve(delivery.parse_config('[[robots]]\nkind = "dingtalk"\nurl_env = "D"\n'), {"D": url})
    report = delivery.deliver(delivery.prepare(t, b, None, "zh"), timeout=2)
    assert not report.ok and "cannot connect" in report.results[0].error("en")
    assert "ding-token-0001" not in report.results[0].line("en")


# ---------------------------------------------------------------- --quarter last (the one calendar)

@pytest.mark.parametrize(("today", "quarter"), [
    ("2026-11-28", "2026Q3"), ("2026-10-01", "2026Q3"), ("2026-09-30", "2026Q2"), ("2025-01-01", "2024Q4"),
    ("2024-04-01", "2024Q1"),
])
def test_last_complete_quarter(today, quarter):
    import datetime as dt

    assert last_complete_quarter(dt.date.fromisoformat(today)) == Quarter.parse(quarter)


@pytest.mark.parametrize(("today", "name"), [("2026-10-01", "季度简报_南湾社区_2026Q3_演示数据.xlsx"),
                                             ("2024-04-02", "季度简报_南湾社区_2024Q1_演示数据.xlsx")])
def test_cli_quarter_last(demo_db, tmp_path, monkeypatch, capsys, today, name):
    monkeypatch.setenv("GOV_TODAY", today)
    rc = main(["--quarter", "last", "--community", "南湾社区", "--formats", "xlsx", "--out", str(tmp_path),
               "--db", str(demo_db)])
    assert rc == 0, capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == [name]


# ---------------------------------------------------------------- the CLI

def _config(tmp_path, wecom=True, dingtalk=True, name="robots.toml"):
    parts = []
    if wecom:
        parts.append('[[robots]]\nkind = "wecom"\nurl_env = "T_WECOM_URL"\n')
    if dingtalk:
        parts.append('[[robots]]\nkind = "dingtalk"\nname = "街道班子群"\nurl_env = "T_DING_URL"\n'
                     'secret_env = "T_DING_SECRET"\n')
    p = tmp_path / name
    p.write_text("\n".join(parts), encoding="utf-8")
    return p


def _send(args, capsys):
    try:
        rc = main(args)
    except SystemExit as e:
        rc = e.code
    out = capsys.readouterr()
    return rc, out.out, out.err


@needs_chromium
def test_cli_sends_the_long_image_and_the_summary_to_both_kinds(demo_db, tmp_path, fresh, monkeypatch, capsys):
    monkeypatch.setenv("T_WECOM_URL", fresh.wecom())
    monkeypatch.setenv("T_DING_URL", fresh.dingtalk())
    monkeypatch.setenv("T_DING_SECRET", SECRET)
    accounts = tmp_path / "accounts.sqlite"
    rc, out, err = _send(["--quarter", "2024Q1", "--community", "南湾社区", "--send", str(_config(tmp_path)),
                          "--db", str(demo_db), "--accounts", str(accounts)], capsys)
    assert rc == 0, err
    assert [(r.kind, r.msgtype, r.problem) for r in fresh.received] == [
        ("wecom", "image", None), ("wecom", "markdown", None), ("dingtalk", "markdown", None)]
    import base64

    png = base64.b64decode(fresh.received[0].body["image"]["base64"])
    assert Image.open(io.BytesIO(png)).size[0] == 1080 and len(png) < 2 * 1024 * 1024
    assert "#1 企业微信 (T_WECOM_URL)：已发送 长图、文字摘要" in out
    assert "#2 钉钉 街道班子群 (T_DING_URL)：已发送 文字摘要" in out and "已发送到全部 2 个机器人" in out
    rows = AccountStore(accounts).audit_rows(action="send")
    assert [(r["actor"].startswith("cli:"), r["ok"], r["detail"]["kind"], r["detail"]["sent"]) for r in rows] == [
        (True, True, "wecom", ["image", "markdown"]), (True, True, "dingtalk", ["markdown"])]
    assert rows[0]["detail"]["image_md5"] == hashlib.md5(png).hexdigest()
    assert rows[0]["detail"]["quarter"] == "2024Q1" and rows[1]["detail"]["signed"] is True
    assert not any(k in out + err + json.dumps([r["detail"] for r in rows], ensure_ascii=False) for k in KEYS)


def test_cli_robot_error_exits_1_with_a_message_and_an_audit_row(demo_db, tmp_path, fresh, monkeypatch, capsys):
    monkeypatch.setenv("T_DING_URL", fresh.dingtalk("errcode"))
    monkeypatch.setenv("T_DING_SECRET", SECRET)
    accounts = tmp_path / "accounts.sqlite"
    rc, out, err = _send(["--quarter", "2024Q1", "--community", "南湾社区", "--db", str(demo_db), "--lang", "en",
                          "--send", str(_config(tmp_path, wecom=False)), "--accounts", str(accounts)], capsys)
    assert rc == 1
    assert "#1 DingTalk 街道班子群 (T_DING_URL): sent nothing; the text summary failed: the robot refused it: " \
           "errcode 93000, invalid webhook url" in err
    assert "Nothing is resent automatically" in err and "Traceback" not in err
    rows = AccountStore(accounts).audit_rows(action="send")
    assert len(rows) == 1 and rows[0]["ok"] is False and rows[0]["detail"]["failed"] == "markdown"
    assert not any(k in out + err + json.dumps(rows[0]["detail"]) for k in KEYS)


def test_cli_missing_variable_exits_2_and_sends_nothing(demo_db, tmp_path, fresh, monkeypatch, capsys):
    monkeypatch.setenv("T_DING_URL", fresh.dingtalk())
    monkeypatch.delenv("T_DING_SECRET", raising=False)
    accounts = tmp_path / "accounts.sqlite"
    rc, _, err = _send(["--quarter", "2024Q1", "--community", "南湾社区", "--db", str(demo_db),
                        "--send", str(_config(tmp_path, wecom=False)), "--accounts", str(accounts)], capsys)
    assert rc == 2 and "T_DING_SECRET" in err and "未发送任何消息" in err and "Nothing was sent" in err
    assert fresh.received == []
    rc, _, err = _send(["--quarter", "2024Q1", "--db", str(demo_db), "--send", str(tmp_path / "none.toml")], capsys)
    assert rc == 2 and "发送配置文件不存在" in err and "delivery config not found" in err
    rc, _, err = _send(["--quarter", "2024Q1", "--db", str(demo_db), "--all-communities",
                        "--send", str(_config(tmp_path, wecom=False))], capsys)
    assert rc == 2 and "--all-communities" in err
    assert fresh.received == []


def test_cli_unknown_quarter_sends_nothing(demo_db, tmp_path, fresh, monkeypatch, capsys):
    monkeypatch.setenv("T_DING_URL", fresh.dingtalk())
    monkeypatch.setenv("T_DING_SECRET", SECRET)
    rc, _, err = _send(["--quarter", "2030Q1", "--db", str(demo_db), "--send", str(_config(tmp_path, wecom=False)),
                        "--accounts", str(tmp_path / "a.sqlite")], capsys)
    assert rc == 2 and "没有数据" in err
    assert fresh.received == []
