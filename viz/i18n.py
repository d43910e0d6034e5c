"""The session's language, label lookup and the 中文 / English switch.

Every string a person reads goes through ``t(key)`` (or the name functions in ``names.py``); a
missing key raises ``KeyError``, so a forgotten translation fails the tests instead of showing a
blank. The language is a ``solara.reactive``: per browser session, and every view that reads it
redraws when it changes.
"""

from __future__ import annotations

import solara

from .text import TEXT

LANGUAGES = ("en", "zh")
lang = solara.reactive("en")


def pick(pair: tuple[str, str], language: str | None = None) -> str:
    """The entry of an (English, 中文) pair in ``language`` (default: the session's)."""
    return pair[LANGUAGES.index(language or lang.value)]


def t(key: str, language: str | None = None, **values) -> str:
    """The label ``key`` in ``language``, with ``{placeholders}`` filled from ``values``."""
    text = pick(TEXT[key], language)
    return text.format(**values) if values else text


@solara.component
def LanguageToggle() -> solara.Element:
    """中文 / English switch in the app bar."""
    with solara.ToggleButtonsSingle(value=lang.value, on_value=lang.set, classes=["reformsim-lang"]) as main:
        solara.Button("English", value="en", text=True, classes=["lang-en"])
        solara.Button("中文", value="zh", text=True, classes=["lang-zh"])
    return main
