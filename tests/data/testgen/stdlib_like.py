"""Stdlib-like helpers used by the test generation benchmark."""


def title_case(text: str) -> str:
    """Capitalise each word, keep the rest lower case."""
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split(" "))


def chunk(items: list[int], size: int) -> list[list[int]]:
    """Split items into lists of at most size elements."""
    if size <= 0:
        raise ValueError("size must be positive")
    return [items[i : i + size] for i in range(0, len(items), size)]


def roman(number: int) -> str:
    """Roman numeral for 1..3999."""
    if not 0 < number < 4000:
        raise ValueError("number out of range")
    numerals = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    result = ""
    for value, letters in numerals:
        while number >= value:
            result += letters
            number -= value
    return result


def fizzbuzz(n: int) -> str:
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)


def gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return abs(a)


def is_palindrome(text: str) -> bool:
    cleaned = [c.lower() for c in text if c.isalnum()]
    return cleaned == cleaned[::-1]


def running_max(values: list[int]) -> list[int]:
    result = []
    best = None
    for value in values:
        if best is None or value > best:
            best = value
        result.append(best)
    return result


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("yes", "true", "1"):
        return True
    if lowered in ("no", "false", "0"):
        return False
    raise ValueError(f"not a boolean: {text!r}")
