"""Silences and maintenance windows: matchers with a time range, checked against alert keys."""

from __future__ import annotations

import dataclasses

from monitor.detect.thresholds import SilenceSettings


@dataclasses.dataclass(frozen=True, slots=True)
class Silence:
    rule: str | None
    venue: str | None
    endpoint: str | None
    starts_at_s: float | None
    ends_at_s: float
    comment: str = ""
    id: str = ""

    @classmethod
    def from_settings(cls, spec: SilenceSettings) -> Silence:
        starts = spec.starts_at.timestamp() if spec.starts_at else None
        return cls(
            spec.rule, spec.venue, spec.endpoint, starts, spec.ends_at.timestamp(), spec.comment
        )

    def active(self, now_s: float) -> bool:
        return (self.starts_at_s is None or self.starts_at_s <= now_s) and now_s < self.ends_at_s

    def covers(self, rule: str, venue: str, endpoint: str | None, now_s: float) -> bool:
        return (
            self.active(now_s)
            and (self.rule is None or self.rule == rule)
            and (self.venue is None or self.venue == venue)
            and (self.endpoint is None or self.endpoint == endpoint)
        )


class SilenceBook:
    """The silences in force; expired ones are dropped as they are met."""

    def __init__(self, silences: list[Silence]) -> None:
        self._silences = list(silences)

    def add(self, silence: Silence) -> None:
        self._silences.append(silence)

    def covers(self, rule: str, venue: str, endpoint: str | None, now_s: float) -> bool:
        if not self._silences:
            return False
        self._silences = list(self.in_force(now_s))
        return any(s.covers(rule, venue, endpoint, now_s) for s in self._silences)

    def in_force(self, now_s: float) -> tuple[Silence, ...]:
        """Every silence not yet ended (active now or starting later)."""
        return tuple(s for s in self._silences if now_s < s.ends_at_s)

    def remove(self, silence_id: str) -> bool:
        before = len(self._silences)
        self._silences = [s for s in self._silences if s.id != silence_id]
        return len(self._silences) < before
