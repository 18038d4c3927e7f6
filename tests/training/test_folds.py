"""Article-level folds of the training data."""

from __future__ import annotations

from training.folds import validation_groups


def test_a_fifth_of_each_source_is_held_out_and_never_an_article_on_both_sides() -> None:
    groups = [f"squad2:A{i}" for i in range(30)] + [f"selqa:B{i}" for i in range(100)]
    held = validation_groups(groups + groups[:5])  # repeats of an article change nothing
    assert sum(g.startswith("squad2:") for g in held) == 6 and sum(g.startswith("selqa:") for g in held) == 20
    assert held == validation_groups(reversed(groups))  # the order of the data changes nothing
