"""Subject names per topic: `<prefix>.<topic>.<key>`, e.g. `gauntlet.md.bars.EURUSD`.

The prefix isolates deployments (and tests) that share one NATS server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bus.errors import InvalidSubjectError

# NATS splits subjects on "." and treats "*" and ">" as wildcards; whitespace ends a subject.
_TOKEN = re.compile(r"^[A-Za-z0-9_\-/:=+@]+$")

# topic -> the message type it carries (one type per topic keeps consumers simple).
TOPICS: dict[str, str] = {
    "md.ticks": "tick",
    "md.bars": "bar",
    "targets": "target",
}


def check_token(token: str, what: str = "subject token") -> str:
    if not _TOKEN.match(token):
        raise InvalidSubjectError(
            f"invalid {what} {token!r}: use letters, digits and _-/:=+@ (no dots, spaces or wildcards)"
        )
    return token


@dataclass(frozen=True)
class Subjects:
    """Builds and parses subjects under one prefix."""

    prefix: str = "gauntlet"

    def __post_init__(self) -> None:
        for part in self.prefix.split("."):
            check_token(part, "subject prefix part")

    def ticks(self, instrument: str) -> str:
        return self._subject("md.ticks", instrument)

    def bars(self, instrument: str) -> str:
        return self._subject("md.bars", instrument)

    def targets(self, strategy: str) -> str:
        return self._subject("targets", strategy)

    def topic(self, topic: str) -> str:
        """Wildcard subject for every key of a topic, e.g. `gauntlet.md.bars.*`."""
        self._check_topic(topic)
        return f"{self.prefix}.{topic}.*"

    def everything(self) -> str:
        return f"{self.prefix}.>"

    def topic_of(self, subject: str) -> str:
        """The topic of a concrete subject under this prefix."""
        head = self.prefix + "."
        if not subject.startswith(head):
            raise InvalidSubjectError(f"subject {subject!r} is not under prefix {self.prefix!r}")
        topic, _, key = subject[len(head) :].rpartition(".")
        self._check_topic(topic)
        check_token(key, f"key of subject {subject!r}")
        return topic

    def _subject(self, topic: str, key: str) -> str:
        return f"{self.prefix}.{topic}.{check_token(key, f'{topic} key')}"

    @staticmethod
    def _check_topic(topic: str) -> None:
        if topic not in TOPICS:
            raise InvalidSubjectError(
                f"unknown topic {topic!r}; known: {', '.join(sorted(TOPICS))}"
            )


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS wildcard semantics: `*` matches one token, a final `>` matches one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(have) == len(want)
