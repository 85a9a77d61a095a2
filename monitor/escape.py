"""Escaping external text (exchange error bodies, model output) for each channel's format, so
that no body can inject links, mentions or markup."""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str, limit: int = 1000) -> str:
    """Control and invisible/bidi characters out, length capped."""
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack(text: str) -> str:
    """Slack mrkdwn: &, <, > are the only control characters (they form links, mentions)."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_text(text: str) -> str:
    """Telegram HTML, e-mail HTML."""
    return html.escape(clean(text), quote=True)


def markdown(text: str) -> str:
    """Discord, DingTalk and Feishu markdown: backslash every markup character; '@' is
    defused with a zero-width joiner so that no mention can be formed."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", clean(text))
    return escaped.replace("@", "@\u200d").replace("<", "&lt;").replace(">", "&gt;")
