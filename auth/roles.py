"""Roles and the signed-in viewer. No Streamlit, no kpi: the UI maps `Viewer.communities` onto kpi's scope.

| role      | zh       | sees                     | may                                                  |
|-----------|----------|--------------------------|------------------------------------------------------|
| admin     | 管理员   | every community          | everything, plus accounts and the audit page         |
| leader    | 街道领导 | every community          | every page, lists and exports                        |
| community | 社区     | its own community only   | every page and export, computed on its community     |
| clerk     | 数据员   | its own community only   | as community, plus loading its community's ledgers   |
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES: tuple[str, ...] = ("admin", "leader", "community", "clerk")
ROLE_ZH: dict[str, str] = {"admin": "管理员", "leader": "街道领导", "community": "社区", "clerk": "数据员"}
ROLE_EN: dict[str, str] = {"admin": "administrator", "leader": "street leader", "community": "community",
                           "clerk": "data clerk"}
# Roles bound to one community: their account names it, and they see nothing else.
SCOPED_ROLES: frozenset[str] = frozenset({"community", "clerk"})


def role_text(role: str) -> str:
    """'管理员 admin' — the bilingual label the CLI prints."""
    return f"{ROLE_ZH.get(role, role)} {role}"


class RoleError(ValueError):
    """A role/community combination that cannot exist (message bilingual: Chinese / English)."""


def check_role(role: str, community: str | None) -> None:
    """Raise RoleError unless `role` is known and `community` is given exactly when the role is scoped."""
    if role not in ROLES:
        raise RoleError(f"未知角色 {role!r}，可选：{'、'.join(role_text(r) for r in ROLES)} / "
                        f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role in SCOPED_ROLES and not community:
        raise RoleError(f"角色“{ROLE_ZH[role]}”必须指定所属社区（--community）/ "
                        f"role {role!r} needs its community (--community)")
    if role not in SCOPED_ROLES and community:
        raise RoleError(f"角色“{ROLE_ZH[role]}”查看全部社区，不能指定社区 / "
                        f"role {role!r} sees every community; do not give --community")


@dataclass(frozen=True)
class Viewer:
    """Who is looking. `communities` is the scope: None = every community, else a one-element tuple."""

    name: str
    role: str
    community: str | None = None
    display: str | None = None

    def __post_init__(self) -> None:
        check_role(self.role, self.community)

    @property
    def communities(self) -> tuple[str, ...] | None:
        if self.role in SCOPED_ROLES:
            return (self.community,)  # type: ignore[return-value]
        return None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def sees_all(self) -> bool:
        return self.communities is None

    def can_load(self, community: str | None = None) -> bool:
        """May load ledgers of `community`: an admin any, a clerk only its own (None = "some community")."""
        if self.role == "admin":
            return True
        if self.role == "clerk":
            return community is None or community == self.community
        return False

    def sees(self, community: str) -> bool:
        return self.communities is None or community in self.communities

    @property
    def role_zh(self) -> str:
        return ROLE_ZH[self.role]

    @property
    def role_en(self) -> str:
        return ROLE_EN[self.role]

    @property
    def label(self) -> str:
        """What the header shows: the display name, else the account name."""
        return self.display or self.name
