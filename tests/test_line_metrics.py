import pytest

from codegpt.training.line_metrics import edit_similarity, exact_match, longest_common_subsequence


def test_exact_match_ignores_whitespace_only():
    assert exact_match("return a + b", "return  a +  b ")
    assert not exact_match("return a+b", "return a + b")


@pytest.mark.parametrize(
    ("a", "b", "lcs"), [("", "", 0), ("abc", "abc", 3), ("abcde", "ace", 3), ("abc", "xyz", 0)]
)
def test_lcs(a, b, lcs):
    assert longest_common_subsequence(a, b) == lcs
    assert longest_common_subsequence(b, a) == lcs


def test_edit_similarity_matches_fuzz_ratio_definition():
    assert edit_similarity("abc", "abc") == 100.0
    assert edit_similarity("", "") == 100.0
    assert edit_similarity("abc", "") == 0.0
    # fuzz.ratio("return x", "return y") == 88 (indel distance 2 over 16 characters)
    assert round(edit_similarity("return x", "return y")) == 88
