"""Read what Django's file email backend wrote: one file per connection, messages separated by a line
of 79 dashes."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def messages_in(folder: Path) -> list[EmailMessage]:
    found: list[EmailMessage] = []
    for path in sorted(folder.glob("*.log")):
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                found.append(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
    return found


def messages_to(folder: Path, address: str) -> list[EmailMessage]:
    return [message for message in messages_in(folder) if address in str(message["To"])]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the email has no HTML part"
    return part.get_content()


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s<>\"']+", text)
