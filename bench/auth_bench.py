"""Sign-in cost: Argon2id (the store's parameters) and the session look-up every page run makes.

    .venv/bin/python bench/auth_bench.py [--repeat N]

Times are medians over N runs, printed in ms and as a ratio to a reference measured in the same run
(SHA-256 of the password iterated 100,000 times), since the machine is noisy. The store is a fresh file in a
temporary folder. Targets: a whole sign-in (Argon2id verify + session row + audit row) < 1 s (it happens
once per person per 8 hours); `viewer_for` (every page run) < 10 ms; `record` (every download) < 20 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from auth import AccountStore  # noqa: E402
from bench.common import median_seconds  # noqa: E402

PASSWORD = "a typical pass phrase"
REF_ROUNDS = 100_000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)

    def ref():
        h = PASSWORD.encode()
        for _ in range(REF_ROUNDS):
            h = hashlib.sha256(h).digest()

    with tempfile.TemporaryDirectory(prefix="auth-bench-") as folder:
        store = AccountStore(Path(folder) / "accounts.sqlite")
        store.add_account("leader", "leader", PASSWORD)
        stored = store.hasher.hash(PASSWORD)
        _, token = store.sign_in("leader", PASSWORD)
        rows = {
            "argon2id hash (new password)": (lambda: store.hasher.hash(PASSWORD), None),
            "argon2id verify": (lambda: store.hasher.verify(stored, PASSWORD), None),
            "sign_in (verify + session + audit)": (lambda: store.sign_in("leader", PASSWORD), 1.0),
            "viewer_for (every page run)": (lambda: store.viewer_for(token), 0.010),
            "record (audit row)": (lambda: store.record("leader", "download", "cases", {"format": "csv"}), 0.020),
        }
        ref()
        t_ref = median_seconds(ref, args.repeat)
        h = store.hasher
        print(f"argon2-cffi {importlib.metadata.version('argon2-cffi')}: Argon2id t={h.time_cost}, m={h.memory_cost} KiB, "
              f"p={h.parallelism}; median of {args.repeat} runs")
        print(f"{'step':38s} {'ms':>9s} {'× ref':>8s}")
        print(f"{f'reference: sha256 × {REF_ROUNDS:,}':38s} {t_ref * 1e3:9.2f} {1.0:8.2f}")
        ok = True
        for name, (fn, target) in rows.items():
            t = median_seconds(fn, args.repeat, warmup=True)
            over = target is not None and t >= target
            ok &= not over
            flag = f"  over {target * 1e3:.0f} ms" if over else ""
            print(f"{name:38s} {t * 1e3:9.2f} {t / t_ref:8.2f}{flag}")
    print("OK: within targets" if ok else "NOT within targets")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
