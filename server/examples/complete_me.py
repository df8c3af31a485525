"""A small module to try ``codegpt complete`` on (see the README)."""


def add_two_numbers(a, b):
    """Return the sum of a and b."""
    return
