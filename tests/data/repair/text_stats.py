import re
from collections import Counter

WORD = re.compile(r"[A-Za-z']+")


def words(text):
    return [word.lower() for word in WORD.findall(text)]


def most_common(text, n=3):
    counts = Counter(words(text))
    return counts.most_common(n)


def sentence_lengths(text):
    sentences = [part.strip() for part in re.split(r"[.!?]", text) if part.strip()]
    return [len(words(sentence)) for sentence in sentences]


def describe(text):
    lengths = sentence_lengths(text)
    if not lengths:
        return {"sentences": 0, "mean": 0.0, "longest": 0}
    mean = sum(lengths) / len(lengths)
    return {"sentences": len(lengths), "mean": round(mean, 2), "longest": max(lengths)}


def histogram(values, width=20):
    if not values:
        return ""
    top = max(values)
    rows = []
    for index, value in enumerate(values):
        bar = "#" * int(width * value / top) if top else ""
        rows.append(f"{index:>3} {bar}")
    return "\n".join(rows)


def main(argv=None):
    import sys

    args = sys.argv[1:] if argv is None else argv
    text = " ".join(args) or "Hello there. How are you? Fine, thanks!"
    print(describe(text))
    print(most_common(text, n=2))
    print(histogram(sentence_lengths(text)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
