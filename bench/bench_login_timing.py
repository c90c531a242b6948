"""Login timing (security anchor A4): does a wrong password for a real account take as long as any password for an
address with no account? An attacker who can tell them apart can list who has an account.

The peer measured in the same run is the known account with a wrong password; the figure is the unknown address's
median time and the ratio between the two (1.00 is indistinguishable). Both go through POST /login with the production
password hashing profile (argon2id "strong"; the unknown address is checked against a dummy hash), alternating, on a
fresh SQLite database, with the login limits raised so that no sample is a 429.

    .venv/bin/python bench/bench_login_timing.py [--samples 200]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KNOWN, PASSWORD = "timing-known@example.jp", "a-real-password-for-timing-2026"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="requests per kind (default 200)")
    samples = parser.parse_args().samples

    from app import create_app
    from app.accounts.services import sign_up
    from app.config import Settings
    from app.db import get_database

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/timing.db"
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([str(ROOT / ".venv/bin/alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        settings = Settings(azukari_env="development", database_url=url, instance_path=Path(folder),
                            password_hash_profile="strong", login_failures_per_account=10**6,  # noqa: S106
                            login_failures_per_ip=10**6)
        app = create_app(settings)
        logging.getLogger("azukari.security").disabled = True  # (800 login_failed lines are not the figure)
        with app.app_context():
            session = get_database().new_session()
            sign_up(session, email=KNOWN, password=PASSWORD, locale="ja", ip=None)
            session.commit()
            session.close()
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
        assert token, "no CSRF token on /login"

        def attempt(email: str) -> float:
            started = time.perf_counter()
            answer = client.post("/login", data={"csrf_token": token.group(1), "email": email,
                                                 "password": "wrong-password-for-timing"})
            elapsed = time.perf_counter() - started
            assert answer.status_code == 422, answer.status_code  # the form again, with the same message
            return elapsed

        for email in (KNOWN, "warm-up@example.jp"):  # the first requests pay for imports and caches
            attempt(email)
        known, unknown = [], []
        for n in range(samples):
            known.append(attempt(KNOWN))
            unknown.append(attempt(f"nobody-{n}@example.jp"))

    known_ms, unknown_ms = statistics.median(known) * 1000, statistics.median(unknown) * 1000
    print(f"login timing, {samples} samples each, argon2id strong, SQLite, Flask test client")
    print(f"  known account, wrong password (peer): median {known_ms:7.1f} ms  p95 "
          f"{statistics.quantiles(known, n=20)[18] * 1000:7.1f} ms")
    print(f"  unknown address:                      median {unknown_ms:7.1f} ms  p95 "
          f"{statistics.quantiles(unknown, n=20)[18] * 1000:7.1f} ms")
    print(f"  difference of medians {unknown_ms - known_ms:+.1f} ms; ratio unknown/known {unknown_ms / known_ms:.2f} "
          f"(goal: |difference| < 20 ms)")


if __name__ == "__main__":
    main()
