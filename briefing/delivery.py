"""Delivery of the 长图 and a short text summary to work-chat group robots (企业微信 / 钉钉).

The robots are listed in a TOML file that names, for each robot, the environment variables holding its
webhook address and (钉钉, optional) signing secret — never the values, so keys stay out of the repository,
the command line, the logs and the audit trail:

    [[robots]]
    kind = "wecom"                           # 企业微信 group robot
    url_env = "WECOM_BRIEFING_URL"

    [[robots]]
    kind = "dingtalk"                        # 钉钉 group robot
    url_env = "DINGTALK_BRIEFING_URL"
    secret_env = "DINGTALK_BRIEFING_SECRET"  # optional: sign the requests

The two APIs (their documentation: developer.work.weixin.qq.com/document/path/91770 "群机器人配置说明";
open.dingtalk.com/document/group/custom-robot-access "自定义机器人接入", "加签"):
- 企业微信: POST JSON to the webhook address (`…/cgi-bin/webhook/send?key=KEY`).
  Image: `{"msgtype": "image", "image": {"base64": B64, "md5": MD5}}` — base64 of the PNG's bytes and the md5
  (hex) of the bytes before encoding; at most 2 MB before encoding, JPG or PNG.
  Markdown: `{"msgtype": "markdown", "markdown": {"content": TEXT}}` — at most 4096 bytes of UTF-8.
  Answer `{"errcode": 0, "errmsg": "ok"}`; any other errcode is a refusal. 20 messages a minute per robot.
- 钉钉: POST JSON to `…/robot/send?access_token=TOKEN`; with a secret, append `&timestamp=T&sign=S` where T is
  the time in milliseconds and S = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{T}\\n{secret}"))) (T must
  be within an hour of the server's clock). Markdown: `{"msgtype": "markdown", "markdown": {"title": TITLE,
  "text": TEXT}}`. A 钉钉 custom robot cannot upload an image (its markdown shows images by public URL only),
  so a 钉钉 group gets the text summary; the 长图 goes to the 企业微信 groups. Answer as 企业微信's.

Nothing is half-sent silently: `prepare()` checks everything that can be checked before the first request —
the config (kinds, keys, variable names), every environment variable set and every address an http(s) URL,
the image present and at most 2 MB, the texts within the APIs' limits — and raises `DeliveryError` (zh/en)
without sending anything. `deliver()` then posts robot after robot, in the config's order (企业微信: the image,
then the text); a robot whose image was refused does not get the text either (the group never sees a summary
of an image it did not get), and the other robots are still served. The `DeliveryReport` says exactly which
robot got which message and why one failed (errcode and errmsg, HTTP status, timeout), with every address and
secret redacted (`redact`); the callers (the CLI, the 季度简报 page) print it and record one audit row per robot.

No Streamlit and no network library beyond the standard library's `urllib`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from present import escape
from present.format import fmt_change, fmt_kpi, fmt_quarter
from present.labels import kpi_name, t

from .model import Briefing

KINDS = ("wecom", "dingtalk")
KIND_NAMES = {"wecom": ("企业微信", "WeCom"), "dingtalk": ("钉钉", "DingTalk")}
MAX_IMAGE_BYTES = 2 * 1024 * 1024  # 企业微信: the image before base64
WECOM_MARKDOWN_BYTES = 4096
DINGTALK_MARKDOWN_BYTES = 20000  # 钉钉 documents no lower limit for markdown text; stay well inside
TIMEOUT_S = 15.0
HEADLINE_IN_SUMMARY = 3
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYS = {"kind", "url_env", "secret_env", "name"}


class DeliveryError(ValueError):
    """A delivery that cannot start (bad config, missing variable, image too large …): nothing was sent.
    `code` is 'config' | 'env' | 'image' | 'text'."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code, self.zh, self.en = code, zh, en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


# ---------------------------------------------------------------- config

@dataclass(frozen=True)
class Robot:
    """One robot of the config: where its address and secret come from (variable names, never values)."""

    index: int  # 1-based, in the config's order
    kind: str
    url_env: str
    secret_env: str | None = None
    name: str | None = None  # optional label ("街道班子群")

    def label(self, lang: str = "zh") -> str:
        """"#1 企业微信 群名 (WECOM_BRIEFING_URL)": how reports and the audit name a robot (no address)."""
        kind = KIND_NAMES[self.kind][0 if lang == "zh" else 1]
        name = f" {escape.cut(self.name)}" if self.name else ""
        return f"#{self.index} {kind}{name} ({self.url_env})"


def parse_config(text: str, source: str = "config") -> list[Robot]:
    """The robots of a TOML config; DeliveryError('config') on anything unexpected (a literal address or
    secret in particular: the config names variables only)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DeliveryError("config", f"发送配置 {source} 不是有效的 TOML：{e}",
                            f"the delivery config {source} is not valid TOML: {e}") from None
    extra = sorted(set(data) - {"robots"})
    if extra:
        raise DeliveryError("config", f"发送配置 {source} 含未知的项：{', '.join(extra)}（只认 [[robots]]）",
                            f"the delivery config {source} has unknown entries: {', '.join(extra)} "
                            "(only [[robots]])")
    items = data.get("robots")
    if not isinstance(items, list) or not items:
        raise DeliveryError("config", f"发送配置 {source} 中没有机器人（[[robots]]）",
                            f"the delivery config {source} lists no robots ([[robots]])")
    robots = []
    for i, item in enumerate(items, start=1):
        where_zh, where_en = f"{source} 第 {i} 个机器人", f"robot #{i} of {source}"
        if not isinstance(item, dict):
            raise DeliveryError("config", f"{where_zh} 格式不对", f"{where_en} is malformed")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise DeliveryError(
                "config",
                f"{where_zh} 含未知的键：{', '.join(unknown)}；地址和密钥只能写在环境变量里，配置中写变量名"
                "（url_env、secret_env）",
                f"{where_en} has unknown keys: {', '.join(unknown)}; addresses and secrets belong in environment "
                "variables, the config names them (url_env, secret_env)")
        kind = item.get("kind")
        if kind not in KINDS:
            raise DeliveryError("config", f"{where_zh} 的 kind 应为 wecom 或 dingtalk，而不是 {kind!r}",
                                f"{where_en}: kind must be wecom or dingtalk, not {kind!r}")
        for key in ("url_env", "secret_env"):
            v = item.get(key)
            if v is None and key == "secret_env":
                continue
            if not isinstance(v, str) or not _ENV_NAME.fullmatch(v):
                raise DeliveryError(
                    "config", f"{where_zh} 的 {key} 应为环境变量名（字母、数字、下划线），如 WECOM_BRIEFING_URL",
                    f"{where_en}: {key} must be an environment variable name (letters, digits, _), "
                    "e.g. WECOM_BRIEFING_URL")
        if kind == "wecom" and item.get("secret_env"):
            raise DeliveryError("config", f"{where_zh}：企业微信群机器人没有签名密钥，请删去 secret_env",
                                f"{where_en}: a WeCom group robot has no signing secret; remove secret_env")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise DeliveryError("config", f"{where_zh} 的 name 应为文字", f"{where_en}: name must be text")
        robots.append(Robot(i, kind, item["url_env"], item.get("secret_env"), name))
    return robots


def load_config(path: Path | str) -> list[Robot]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeliveryError("config", f"发送配置文件不存在：{path}", f"delivery config not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DeliveryError("config", f"无法读取发送配置 {path}：{type(e).__name__}",
                            f"cannot read the delivery config {path}: {type(e).__name__}") from None
    return parse_config(text, path.name)


# ---------------------------------------------------------------- targets (resolved from the environment)

@dataclass(frozen=True)
class Target:
    robot: Robot
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)


def resolve(robots: list[Robot], environ: Mapping[str, str] | None = None) -> list[Target]:
    """Each robot's address (and secret) from the environment; DeliveryError('env') naming every missing or
    malformed variable (by name only)."""
    env = os.environ if environ is None else environ
    missing, bad, out = [], [], []
    for r in robots:
        url = (env.get(r.url_env) or "").strip()
        secret = (env.get(r.secret_env) or "").strip() if r.secret_env else None
        if not url:
            missing.append(r.url_env)
        else:
            u = urllib.parse.urlsplit(url)
            if u.scheme not in ("http", "https") or not u.hostname:
                bad.append(r.url_env)
        if r.secret_env and not secret:
            missing.append(r.secret_env)
        out.append(Target(r, url, secret or None))
    if missing or bad:
        zh, en = [], []
        if missing:
            zh.append(f"未设置环境变量：{', '.join(dict.fromkeys(missing))}")
            en.append(f"environment variables not set: {', '.join(dict.fromkeys(missing))}")
        if bad:
            zh.append(f"以下变量不是 http(s) 网址：{', '.join(bad)}")
            en.append(f"not an http(s) address: {', '.join(bad)}")
        raise DeliveryError("env", "；".join(zh) + "。未发送任何消息。", "; ".join(en) + ". Nothing was sent.")
    return out


# ---------------------------------------------------------------- redaction

_QUERY_SECRET = re.compile(r"(?i)\b(key|access_token|token|sign|secret)=([^&\s'\"]+)")


def redact(text: object, targets: list[Target] = ()) -> str:
    """`text` with every configured address and secret, and any key=/access_token=/sign= value, as ***."""
    s = str(text)
    for tg in targets:
        for value in (tg.url, tg.secret):
            if value:
                s = s.replace(value, "***")
                quoted = urllib.parse.quote(value, safe="")
                if quoted != value:
                    s = s.replace(quoted, "***")
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=***", s)


# ---------------------------------------------------------------- the messages

@dataclass(frozen=True)
class Summary:
    title: str  # 钉钉's markdown title (the chat list's preview)
    text: str  # the markdown body


def summary(b: Briefing, lang: str = "zh") -> Summary:
    """The short text that goes with the 长图: scope, quarter, three headline numbers (with 环比), the
    warnings count, the data freshness and 演示数据. Ledger text through `present.escape.chat`."""
    m = b.meta
    sep = "：" if lang == "zh" else ": "
    scope = escape.chat(m.scope.label(lang), limit=80)
    quarter = f"{fmt_quarter(m.quarter, lang)}（{m.quarter.code}）" if lang == "zh" else \
        f"{fmt_quarter(m.quarter, lang)} ({m.quarter.code})"
    title = f"{scope} {fmt_quarter(m.quarter, lang)} {t('briefing.product', lang)}" if lang == "zh" else \
        f"{scope} — {fmt_quarter(m.quarter, lang)} {t('briefing.product', lang)}"
    lines = [f"**{title}**", "",
             f"> {t('briefing.scope', lang)}{sep}{scope}", f"> {t('briefing.quarter', lang)}{sep}{quarter}", ""]
    for kid in b.headline[:HEADLINE_IN_SUMMARY]:
        r = b.row(kid)
        value = fmt_kpi(kid, r["current"], lang, unit=True)
        change = fmt_change(kid, r["delta_vs_previous"], r["change_vs_previous"], lang)
        qoq = f"（{t('briefing.qoq', lang)} {change}）" if lang == "zh" else f" ({t('briefing.qoq', lang)} {change})"
        lines.append(f"- {kpi_name(kid, lang)}{sep}**{value}**{qoq if change else ''}")
    n_red, n_yellow = b.warning_counts()
    lines.append("- " + t("delivery.warnings", lang, n=len(b.warnings), red=n_red, yellow=n_yellow))
    lines += ["", m.freshness_text(lang)]
    if m.demo:
        lines.append(f"**{t('briefing.demo', lang)}**")
    return Summary(escape.cut(title, 64), "\n".join(lines))


@dataclass(frozen=True)
class Message:
    what: str  # 'image' | 'markdown'
    payload: dict = field(repr=False)


def messages(kind: str, image: bytes | None, s: Summary) -> list[Message]:
    """The requests one robot gets, in order."""
    if kind == "wecom":
        out = []
        if image is not None:
            out.append(Message("image", {"msgtype": "image", "image": {
                "base64": base64.b64encode(image).decode("ascii"), "md5": hashlib.md5(image).hexdigest()}}))
        out.append(Message("markdown", {"msgtype": "markdown", "markdown": {"content": s.text}}))
        return out
    return [Message("markdown", {"msgtype": "markdown", "markdown": {"title": s.title, "text": s.text}})]


def signed_url(url: str, secret: str | None, now_ms: int | None = None) -> str:
    """钉钉: the address with `&timestamp=…&sign=…` when there is a secret (else unchanged)."""
    if not secret:
        return url
    ts = str(int(time.time() * 1000) if now_ms is None else now_ms)
    digest = hmac.new(secret.encode("utf-8"), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if urllib.parse.urlsplit(url).query else '?'}timestamp={ts}&sign={sign}"


# ---------------------------------------------------------------- plan, then send

@dataclass(frozen=True)
class Plan:
    """Everything checked, nothing sent yet: the targets with their messages."""

    targets: list[Target]
    summary: Summary
    image_bytes: int
    image_md5: str
    steps: list[tuple[Target, list[Message]]] = field(repr=False)


def plan_for(targets: list[Target], b: Briefing, lang: str = "zh") -> Plan:
    """Render the 长图 when a robot takes it (企业微信), then `prepare`: what the CLI and the page both send.
    May raise `briefing.render.RenderUnavailable` as well as DeliveryError; nothing is sent either way."""
    from briefing import exports

    needs_image = any(tg.robot.kind == "wecom" for tg in targets)
    image = exports.export_bytes(b, ["longpng"], lang)["longpng"] if needs_image else None
    return prepare(targets, b, image, lang)


def prepare(targets: list[Target], b: Briefing, image: bytes | None, lang: str = "zh") -> Plan:
    """Check the image and the texts against the APIs' limits; DeliveryError before anything is sent."""
    needs_image = any(tg.robot.kind == "wecom" for tg in targets)
    if needs_image:
        if not image:
            raise DeliveryError("image", "没有长图可发送。未发送任何消息。", "there is no long image to send. Nothing was sent.")
        if not image.startswith(b"\x89PNG\r\n\x1a\n"):
            raise DeliveryError("image", "长图不是 PNG 文件。未发送任何消息。", "the long image is not a PNG. Nothing was sent.")
        if len(image) > MAX_IMAGE_BYTES:
            mb = len(image) / 1024 / 1024
            raise DeliveryError("image", f"长图 {mb:.1f} MB，超过企业微信机器人 2 MB 的上限。未发送任何消息。",
                                f"the long image is {mb:.1f} MB, over the WeCom robot's 2 MB limit. Nothing was sent.")
    s = summary(b, lang)
    size = len(s.text.encode("utf-8"))
    for tg in targets:
        limit = WECOM_MARKDOWN_BYTES if tg.robot.kind == "wecom" else DINGTALK_MARKDOWN_BYTES
        if size > limit:
            raise DeliveryError("text", f"文字摘要 {size} 字节，超过 {tg.robot.label('zh')} 的上限 {limit}。未发送任何消息。",
                                f"the summary is {size} bytes, over {tg.robot.label('en')}'s limit of {limit}. "
                                "Nothing was sent.")
    steps = [(tg, messages(tg.robot.kind, image if tg.robot.kind == "wecom" else None, s)) for tg in targets]
    return Plan(targets, s, len(image or b""), hashlib.md5(image or b"").hexdigest(), steps)


@dataclass
class RobotResult:
    robot: Robot
    sent: list[str] = field(default_factory=list)  # message kinds the robot accepted, in order
    failed: str | None = None  # the message kind that failed
    skipped: list[str] = field(default_factory=list)  # not sent because an earlier one failed
    error_zh: str | None = None
    error_en: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None

    def error(self, lang: str = "zh") -> str | None:
        return self.error_zh if lang == "zh" else self.error_en

    def line(self, lang: str = "zh") -> str:
        label = self.robot.label(lang)
        what = {"image": t("delivery.image", lang), "markdown": t("delivery.text", lang)}
        sent = "、".join(what[x] for x in self.sent) if lang == "zh" else ", ".join(what[x] for x in self.sent)
        if self.ok:
            return t("delivery.line_ok", lang, robot=label, sent=sent)
        return t("delivery.line_failed", lang, robot=label, sent=sent or t("delivery.nothing", lang),
                 failed=what[self.failed], error=self.error(lang))

    def audit_detail(self) -> dict:
        """What the audit keeps of this robot's delivery (no address, no secret)."""
        return {"robot": self.robot.index, "kind": self.robot.kind, "url_env": self.robot.url_env,
                "signed": bool(self.robot.secret_env), "sent": list(self.sent), "failed": self.failed,
                "skipped": list(self.skipped), "error": self.error_en}


@dataclass
class DeliveryReport:
    results: list[RobotResult]
    image_bytes: int
    image_md5: str

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def lines(self, lang: str = "zh") -> list[str]:
        return [r.line(lang) for r in self.results]


class _Failure(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _post(url: str, payload: dict, timeout: float) -> None:
    """POST one message; _Failure (zh/en, not yet redacted) unless the robot answers errcode 0."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) checked in resolve()
            raw = resp.read(65536)
    except urllib.error.HTTPError as e:
        raise _Failure(f"HTTP 状态 {e.code}", f"HTTP status {e.code}") from None
    except TimeoutError:
        raise _Failure(f"{timeout:.0f} 秒内无应答（超时）", f"no answer within {timeout:.0f} s (timeout)") from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, TimeoutError):
            raise _Failure(f"{timeout:.0f} 秒内无应答（超时）", f"no answer within {timeout:.0f} s (timeout)") from None
        raise _Failure(f"无法连接：{reason}", f"cannot connect: {reason}") from None
    except OSError as e:
        raise _Failure(f"连接出错：{type(e).__name__}", f"connection error: {type(e).__name__}") from None
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _Failure("应答不是 JSON", "the answer is not JSON") from None
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        msg = escape.cut(answer.get("errmsg", "") if isinstance(answer, dict) else "", 200)
        raise _Failure(f"机器人拒收：errcode {code}，{msg}", f"the robot refused it: errcode {code}, {msg}")


def deliver(plan: Plan, timeout: float = TIMEOUT_S, now_ms=None) -> DeliveryReport:
    """Send the plan robot by robot (see the module's docstring for what happens when one fails)."""
    results = []
    for tg, msgs in plan.steps:
        res = RobotResult(tg.robot)
        for i, msg in enumerate(msgs):
            url = signed_url(tg.url, tg.secret, now_ms() if callable(now_ms) else now_ms) \
                if tg.robot.kind == "dingtalk" else tg.url
            try:
                _post(url, msg.payload, timeout)
            except _Failure as e:
                res.failed = msg.what
                res.error_zh = redact(e.zh, plan.targets)
                res.error_en = redact(e.en, plan.targets)
                res.skipped = [m.what for m in msgs[i + 1:]]
                break
            res.sent.append(msg.what)
        results.append(res)
    return DeliveryReport(results, plan.image_bytes, plan.image_md5)


def audit_base(b: Briefing, lang: str, report: DeliveryReport) -> dict:
    """The fields every audit row of one delivery shares."""
    return {"quarter": b.meta.quarter.code, "community": b.meta.scope.community, "lang": lang,
            "image_bytes": report.image_bytes, "image_md5": report.image_md5}
