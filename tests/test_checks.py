"""cggan.checks.differences: the one comparison of nested JSON-like values behind the
spec diff, the statistics' protocol check and the existing-run check."""

from __future__ import annotations

from cggan.checks import MISSING, differences


def test_differing_leaves_in_sorted_dotted_order():
    a = {"b": 1, "a": {"y": [1, 2], "x": 1}, "c": {"k": 1}}
    b = {"b": 2, "a": {"y": (1, 2), "x": 3}, "c": 5, "d": None}
    assert list(differences(a, b)) == [
        ("a.x", 1, 3),  # lists and tuples compare as lists: a.y is equal
        ("b", 1, 2),
        ("c", {"k": 1}, 5),  # a mapping against a leaf is one difference
        ("d", MISSING, None),
    ]
    assert list(differences(a, a)) == []


def test_a_partial_expectation_and_the_missing_value():
    expected, found = {"n": 3, "extractor": {"dims": 8}}, {"n": 3, "seed": 0}
    assert list(differences(expected, found, only_a=True)) == [
        ("extractor", {"dims": 8}, MISSING)
    ]
    assert list(differences({"x": None}, {}, missing=None)) == []
    assert list(differences({"x": 1}, {}, "top", missing=None)) == [("top.x", 1, None)]


def test_the_phrases_built_on_it_are_unchanged():
    from cggan.spec import spec_difference
    from cggan.study.existing_runs import first_difference

    assert first_difference({"a": {"b": 1}}, {"a": {"b": 2}}) == (
        "a.b: stored 1 != configured 2"
    )
    assert first_difference([1], {"a": 1}, against="recomputed") == (
        ': stored [1] != recomputed {"a": 1}'
    )
    assert first_difference({"a": 1}, {"a": 1}) is None
    base = {"dataset": {"name": "d", "root": "x"}, "seed": 1}
    moved = {"dataset": {"name": "d", "root": "y"}, "seed": 2}
    assert spec_difference(base, moved) == ["seed"]  # the root is not compared
