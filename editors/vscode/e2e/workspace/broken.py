"""Totals of an order, with one syntax error for the end-to-end test to show and fix."""


def total(prices: list[float]) -> float
    return sum(prices)
