"""What the detector knows of the endpoints it judges: plain descriptors and a thresholds
lookup, built by the composition root (from the probe plan and the settings), so that the
detector depends on neither."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from monitor.detect.thresholds import Thresholds
from monitor.exchanges import EndpointKind


@dataclasses.dataclass(frozen=True, slots=True)
class EndpointInfo:
    endpoint_id: str  # "<venue>.<endpoint>", as the results carry it
    venue: str
    endpoint: str
    kind: EndpointKind
    is_exchange: bool  # a known venue (judged for local-network trouble), not a generic target
    signing_window_ms: tuple[float, float] | None = None  # (ahead, behind) a venue accepts
    host: str = ""  # the address probed: LOCAL_NETWORK wants failures spread over hosts


# (venue, endpoint) -> the thresholds in force; venue None: the global ones; endpoint None: the
# venue's (for venue-wide rules).
ThresholdsLookup = Callable[[str | None, str | None], Thresholds]
