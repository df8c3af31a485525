"""Numeric helpers."""

ONE = 1.0


def clamp(value: float, low: float, high: float) -> float:
    """Limit ``value`` to the closed interval [low, high]."""
    return max(low, min(high, value))


async def fetch_limit(
    name: str,
    *,
    default: float = ONE,
) -> float:
    """Look a limit up (asynchronously, as a real service would)."""
    return default
