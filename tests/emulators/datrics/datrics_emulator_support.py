"""Shared helpers of the Datrics emulator tests: a secret, tokens, the vendor's records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt

SECRET = "datrics-emulator-test-secret-0123456789"  # 32+ bytes: PyJWT warns on shorter HMAC keys
PREDICT = "/api/v1/proxy/pipeline/model/predict"
BUCKET = "storage.datrics.ai"
CREDIT = "1/4/model-groups/1/1.json"
TITANIC = "1/4/model-groups/2/1.json"
PASSENGER = {"pclass": 0, "sex": 0, "age": 29, "sibsp": 0, "parch": 0, "fare": 211.3375, "embarked": 2}
APPLICANT = {
    "order_amount": 700,
    "average_monthly_income": 0,
    "employment_status_Employed": 0,
    "employment_status_Self-Employed": 0,
    "employment_status_Contract": 0,
}
Maker = Callable[..., Any]


def token(secret: str = SECRET, **claims: Any) -> str:
    """A token as the vendor's example makes it; ``claims`` add to or (with None) drop the defaults."""
    body: dict[str, Any] = {"userId": "7", "email": "analyst@example.com"}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def auth(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
