"""Read a travel model's name: ``haversine``, ``osm:FILE``, ``osrm:URL`` or ``matrix:FILE``.

The same text is ``[travel] provider`` in ``routeplan.toml`` and the
``--travel`` option of ``plan`` and ``check``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the providers and what follows their colon
PROVIDERS = {
    "haversine": "",
    "osm": "an OpenStreetMap extract, e.g. osm:city.osm.pbf",
    "osrm": "an OSRM server, e.g. osrm:http://127.0.0.1:5000",
    "matrix": "a matrix file, e.g. matrix:matrix.csv",
}


@dataclass(frozen=True)
class ProviderSpec:
    """A parsed provider: its kind and target (a file or URL; empty for ``haversine``)."""

    kind: str
    target: str = ""

    def __str__(self) -> str:
        """Return the provider text (``osm:FILE``, ``haversine``)."""
        return self.kind if not self.target else f"{self.kind}:{self.target}"


def parse_provider(text: str) -> ProviderSpec:
    """Return the provider named by ``text``.

    Raises
    ------
    ValueError
        One line saying what is allowed (the caller adds where it came from).
    """
    raw = str(text).strip()
    kind, _, target = raw.partition(":")
    kind = kind.strip().lower()
    target = target.strip()
    allowed = "haversine, osm:FILE.osm.pbf, osrm:URL or matrix:FILE"
    if kind not in PROVIDERS:
        raise ValueError(f"travel provider {raw!r} is not one of {allowed}")
    if kind == "haversine":
        if target:
            raise ValueError(f"travel provider {raw!r}: haversine takes nothing after it")
        return ProviderSpec("haversine")
    if not target:
        raise ValueError(f"travel provider {raw!r} needs {PROVIDERS[kind]}")
    if kind == "osrm" and not target.lower().startswith(("http://", "https://")):
        raise ValueError(f"travel provider {raw!r}: the URL must start with http:// or https://")
    return ProviderSpec(kind, target)


__all__ = ["PROVIDERS", "ProviderSpec", "parse_provider"]
