"""Imports a module that does not exist: generation must say so clearly."""

import codegpt_no_such_module  # noqa: F401


def double(x: int) -> int:
    return 2 * x
