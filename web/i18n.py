"""Languages: Chinese first (the default), English on request (a cookie set by /lang/en)."""

from __future__ import annotations

from flask import g, has_request_context, request
from flask_babel import get_locale

LANGUAGES = ("zh", "en")
COOKIE = "lang"


def select_locale() -> str:
    """The page's language: ?lang= for one page, else the cookie, else Chinese."""
    wanted = request.args.get("lang") or request.cookies.get(COOKIE)
    return wanted if wanted in LANGUAGES else "zh"


def lang() -> str:
    """The page's language, looked up once per request (templates ask for it dozens of times).

    ``select_locale`` directly: it is what Flask-Babel's ``get_locale`` asks, without building a
    babel ``Locale`` on every request (nothing here translates through Babel's catalogues)."""
    if has_request_context():
        if "lang" not in g:
            g.lang = select_locale()
        return g.lang  # type: ignore[no-any-return]
    return str(get_locale() or "zh")


def pick(message: str) -> str:
    """One side of a bilingual "中文 / English" domain message, in the page's language."""
    if " / " not in message:
        return message
    zh, _, en = message.partition(" / ")
    return en.strip() if lang() == "en" else zh.strip()


def both(zh: str, en: str) -> str:
    """A label written both ways, shown in the page's language."""
    return en if lang() == "en" else zh
