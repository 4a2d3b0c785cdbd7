"""发送到工作群 from the 季度简报 page: the robots of the delivery config, and the send itself.

Administrators only, and enforced here in the handler (`send` asks the account store who is signed in on this
run and refuses anyone else, with an audit row), not only by the page hiding the button. The config is the
CLI's TOML (`briefing.delivery`): `$GOV_DELIVERY`, else `data/delivery.toml`; the webhook addresses and
secrets come from the server's environment, never from the page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

from briefing import delivery
from etl.warehouse import project_path
from ui import session

CONFIG_ENV = "GOV_DELIVERY"


def config_path() -> Path:
    """`$GOV_DELIVERY`, else data/delivery.toml in the project."""
    env = os.environ.get(CONFIG_ENV, "").strip()
    return Path(env) if env else project_path("data", "delivery.toml")


def configured() -> tuple[list[delivery.Robot], delivery.DeliveryError | None]:
    """The config's robots, or the reason there are none (the page shows it; no address ever)."""
    try:
        return delivery.load_config(config_path()), None
    except delivery.DeliveryError as e:
        return [], e


def send(b, lang: str) -> delivery.DeliveryReport:
    """Render the 长图 afresh, check everything, post it; one audit row per robot (or one for a refusal).

    Raises PermissionError for anyone but a signed-in administrator and `delivery.DeliveryError` (nothing
    sent) for a config, environment or image problem."""
    viewer = session.current_viewer()
    base = {"quarter": b.meta.quarter.code, "community": b.meta.scope.community, "lang": lang, "via": "page"}
    if viewer is None or not viewer.is_admin:
        session.store().record(viewer.name if viewer else None, "send", "briefing",
                               {**base, "refused": "not an administrator"}, ok=False)
        raise PermissionError("only administrators may send the briefing")
    try:
        targets = delivery.resolve(delivery.load_config(config_path()))
        fresh = dataclasses.replace(b, meta=dataclasses.replace(
            b.meta, generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0)))
        plan = delivery.plan_for(targets, fresh, lang)
    except delivery.DeliveryError as e:
        session.store().record(viewer.name, "send", "briefing", {**base, "error": e.en, "sent": []}, ok=False)
        raise
    report = delivery.deliver(plan)
    for r in report.results:
        session.store().record(viewer.name, "send", "briefing",
                               {**base, **delivery.audit_base(fresh, lang, report), **r.audit_detail()}, ok=r.ok)
    return report
