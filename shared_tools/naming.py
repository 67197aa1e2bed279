"""How the catalogue recognises that two sources name the same tool."""

import re
import unicodedata

# Names that the normalisation below cannot bring together, mapped to the key of the catalogue
# entry they mean. Keys on both sides are already normalised.
NAME_ALIASES = {
    # SILL names the browser "Mozilla Firefox (Extended Support Release)"; its plugins say "Firefox".
    "firefox": "mozillafirefox",
    # SILL's "Jitsi" row is the Jitsi Meet web-conferencing software.
    "jitsimeet": "jitsi",
    # SILL: "LibreOffice (Collabora) online".
    "collaboraonline": "libreofficeonline",
    # Dégooglisons lists the public instances of a software as one "host": they are the online
    # way of using that software, not a tool of their own.
    "podsdiaspora": "diaspora",
    "podsmovim": "movim",
    "instancesmastodon": "mastodon",
    "instancesdesearx": "searx",
}

_PARENTHESES = re.compile(r"\([^)]*\)")
_EDITION = re.compile(r"\bcommunity edition\b")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def match_key(name: str) -> str:
    """The key two names of the same tool share: no case, accents, punctuation, "(qualifier)" or
    "Community Edition". "Framadate (logiciel)" and "Framadate", "Rocket.chat" and "Rocketchat",
    "GitLab Community Edition" and "Gitlab" share a key."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = _PARENTHESES.sub(" ", text).replace("+", " plus ")
    text = _EDITION.sub(" ", text)
    key = _NOT_ALNUM.sub("", text)
    return NAME_ALIASES.get(key, key)
