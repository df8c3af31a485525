"""Readers of the files a project keeps: settings, word lists, prices, hosts, scores, tasks."""

import csv
import json
from pathlib import Path


def load_settings(path):
    """Read the JSON settings file and fill in defaults."""
    with open(path) as handle:
        data = json.load(handle)
    data.setdefault("debug", False)
    data.setdefault("workers", 4)
    return data


def count_words(path: str) -> dict[str, int]:
    """Count how often each word appears in a text file."""
    counts: dict[str, int] = {}
    for line in Path(path).read_text().splitlines():
        for word in line.lower().split():
            counts[word] = counts.get(word, 0) + 1
    return counts


def read_prices(path: str) -> dict[str, float]:
    """Read a CSV file with name,price columns into a mapping."""
    prices = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            prices[row["name"]] = float(row["price"])
    return prices


def read_hosts(path):
    """Parse lines of 'name=address', skipping comments and blanks."""
    hosts = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, address = line.partition("=")
            hosts[name.strip()] = address.strip()
    return hosts


def read_scores(path: Path) -> list[tuple[str, int]]:
    """Rows of 'name;score' after a header line, best first."""
    with path.open(newline="") as handle:
        rows = csv.reader(handle, delimiter=";")
        next(rows)
        scores = [(row[0], int(row[1])) for row in rows]
    return sorted(scores, key=lambda pair: pair[1], reverse=True)


def load_tasks(path):
    """The titles of the tasks not done, from a JSON list of tasks."""
    with open(path) as handle:
        tasks = json.load(handle)
    return [task["title"] for task in tasks if not task.get("done", False)]
