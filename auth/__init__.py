"""Accounts, roles, server-side sessions and the audit trail (no Streamlit, no kpi).

    from auth import AccountStore, Viewer
    store = AccountStore()                      # $GOV_ACCOUNTS or data/accounts.sqlite
    viewer, token = store.sign_in("leader", pw) # SignInFailed / AccountLocked
    store.viewer_for(token)                     # Viewer | None (idle 8 h, $GOV_SESSION_IDLE_HOURS)
    store.sign_out(token)
    store.record(viewer.name, "download", "cases", {"format": "csv"})

CLI: python -m auth --help. See docs/security.md.
"""

from auth.passwords import MIN_LENGTH, WeakPassword, check_password
from auth.roles import ROLE_EN, ROLE_ZH, ROLES, SCOPED_ROLES, RoleError, Viewer, role_text
from auth.store import (
    ACTIONS,
    GENERIC_FAILURE,
    LOCK_AFTER,
    LOCK_FOR,
    LOCK_WINDOW,
    AccountError,
    AccountLocked,
    AccountStore,
    AuthError,
    DemoCredential,
    SignInFailed,
    StoreError,
    default_accounts_path,
    is_demo_warehouse,
    session_idle,
    token_hash,
    warehouse_communities,
)

__all__ = [
    "ACTIONS", "GENERIC_FAILURE", "LOCK_AFTER", "LOCK_FOR", "LOCK_WINDOW", "MIN_LENGTH", "ROLES", "ROLE_EN",
    "ROLE_ZH", "SCOPED_ROLES", "AccountError", "AccountLocked", "AccountStore", "AuthError", "DemoCredential",
    "RoleError", "SignInFailed", "StoreError", "Viewer", "WeakPassword", "check_password",
    "default_accounts_path", "is_demo_warehouse", "role_text", "session_idle", "token_hash",
    "warehouse_communities",
]
