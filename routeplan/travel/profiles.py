"""Travel modes: which road network each mode uses, and straight-line speeds.

``agents.csv``'s optional ``travel_mode`` column (``car`` by default) picks
an agent's mode. Road models route a mode on an OSRM profile (OSRM ships car,
bicycle and foot profiles; a motorbike uses the car network, its durations
multiplied by ``[travel] motorbike_factor``). The straight-line model uses the
agent's ``speed_kmh``, else the mode's speed below (car and motorbike:
``[travel] speed_kmh``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.travel.base import TRAVEL_MODES

#: the OSRM profile (``profiles/<name>.lua``) each travel mode is routed on
OSRM_PROFILE: dict[str, str] = {
    "car": "car",
    "motorbike": "car",
    "bicycle": "bicycle",
    "foot": "foot",
}
#: straight-line speeds (km/h) of the modes without a configured speed
STRAIGHT_LINE_SPEED_KMH: dict[str, float] = {"bicycle": 15.0, "foot": 5.0}


def agent_mode(agent: Any) -> tuple[str, float | None]:
    """Return an agent row's travel mode and its ``speed_kmh`` (None when empty).

    ``agent`` is a row of the validated agents table (a ``pandas.Series`` or
    an ``itertuples`` row); a missing or empty ``travel_mode`` is ``car``.
    """

    def get(column: str) -> Any:
        return agent.get(column) if isinstance(agent, pd.Series) else getattr(agent, column, None)

    mode = get(S.TRAVEL_MODE)
    mode = str(mode).strip().lower() if isinstance(mode, str) and mode.strip() else "car"
    speed = get(S.SPEED_KMH)
    speed_kmh = None if speed is None or pd.isna(speed) else float(speed)
    return mode, speed_kmh


def parse_travel_mode(value: str) -> str:
    """Return a ``travel_mode`` cell as a mode of :data:`TRAVEL_MODES` (empty = ``car``).

    Raises
    ------
    ValueError
        Naming the allowed modes.
    """
    mode = value.strip().lower() or "car"
    if mode not in TRAVEL_MODES:
        raise ValueError(f"{value.strip()!r} is not a travel mode ({', '.join(TRAVEL_MODES)})")
    return mode


__all__ = [
    "OSRM_PROFILE",
    "STRAIGHT_LINE_SPEED_KMH",
    "agent_mode",
    "parse_travel_mode",
]
