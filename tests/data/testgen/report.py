"""Functions that print: a greeting, a table, warnings, a summary line."""

import sys


def greet(name: str) -> None:
    print(f"Hello, {name}!")


def print_table(rows: list[tuple[str, int]]) -> None:
    width = max((len(name) for name, _ in rows), default=0)
    for name, count in rows:
        print(f"{name.ljust(width)} {count:>5}")


def warn(message: str, code: int = 1) -> None:
    print(f"warning {code}: {message}", file=sys.stderr)


def summarize(values: list[float]) -> float:
    """Print the count and return the mean."""
    if not values:
        print("no values")
        return 0.0
    print(f"{len(values)} values")
    return sum(values) / len(values)
