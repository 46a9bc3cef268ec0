"""Text safe for the ops tables and the alerts: passwords and long digit runs masked."""

from __future__ import annotations

import re

from core.warehouse_url import mask_url

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_SECRET_SETTING = re.compile(r"(password|passwd|pwd|secret|token)(\s*[=:]\s*)\S+", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d{9,}")  # citizen ids (12), phone numbers, other long ids


def masked(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with passwords (in URLs, settings or `secrets`) and runs of 9 digits or more masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _URL.sub(lambda match: mask_url(match.group(0)), text)
    text = _SECRET_SETTING.sub(r"\1\2***", text)
    return _DIGIT_RUN.sub(lambda match: "#" * len(match.group(0)), text)
