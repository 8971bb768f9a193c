"""The semantic diff (pure): id-matched lists, content lists, words, fingerprint and version."""

from __future__ import annotations

import copy

from conftest import SAMPLES, charter
from hypothesis import given, settings
from hypothesis import strategies as st

from rmo_cli.charter.diff import (
    Change,
    Describer,
    ItemKey,
    canonical_lines,
    compare,
    describe_changes,
    describe_step,
    diff_charters,
    fingerprint_changed,
    group_by_section,
    version_bumped,
)
from rmo_cli.charter.loading import read_charter


def _with_kpis() -> dict:
    return charter(
        kpis=[
            {"id": "kpi-otd", "name": "On-time delivery", "target": 95, "owner": "jdoe"},
            {"id": "kpi-avail", "name": "Payment service availability", "target": 99.9},
        ]
    )


def _ops(changes: list[Change]) -> list[dict]:
    return [c.as_dict() for c in changes]


def test_identical_charters_have_no_changes():
    assert diff_charters(charter(), charter()) == []


def test_id_list_reorder_is_no_change():
    old = _with_kpis()
    new = copy.deepcopy(old)
    new["kpis"].reverse()
    new["parties"].reverse()
    assert diff_charters(old, new) == []


def test_kpi_target_change_is_named_by_id():
    old = _with_kpis()
    new = copy.deepcopy(old)
    new["kpis"][1]["target"] = 99.95
    assert _ops(diff_charters(old, new)) == [
        {"op": "changed", "path": "kpis[kpi-avail].target", "old": 99.9, "new": 99.95}
    ]
    change = diff_charters(old, new)[0]
    assert change.segments == ("kpis", ItemKey("kpi-avail"), "target")
    assert describe_changes(old, new, [change]) == [
        "KPI Payment service availability: target 99.9 → 99.95"
    ]


def test_added_and_removed_items_carry_the_whole_item():
    old = charter()
    new = copy.deepcopy(old)
    party = {"id": "initech", "name": "Initech Ltd", "type": "private"}
    new["parties"].append(party)
    removed = new["objectives"].pop()
    assert _ops(diff_charters(old, new)) == [
        {"op": "added", "path": "parties[initech]", "old": None, "new": party},
        {"op": "removed", "path": "objectives[obj-1]", "old": removed, "new": None},
    ]
    words = describe_changes(old, new, diff_charters(old, new))
    assert words == ["party Initech Ltd added", "objective Halve unplanned outages. removed"]


def test_nested_id_lists_name_every_level():
    old = charter()
    new = copy.deepcopy(old)
    new["parties"][0]["people"][0]["title"] = "Chief Executive"
    (change,) = diff_charters(old, new)
    assert change.path == "parties[acme].people[jdoe].title"
    assert describe_changes(old, new, [change]) == [
        "person Jane Doe: title Director → Chief Executive"
    ]


def test_content_lists_ignore_order_and_report_items_at_the_list_path():
    body = {"id": "steering", "name": "Steering group", "members": ["jdoe", "rsmith"]}
    old = charter(governance={"model": "network", "bodies": [body]})
    new = copy.deepcopy(old)
    new["governance"]["bodies"][0]["members"] = ["rsmith", "jdoe"]
    assert diff_charters(old, new) == []
    new["governance"]["bodies"][0]["members"] = ["rsmith"]
    assert _ops(diff_charters(old, new)) == [
        {
            "op": "removed",
            "path": "governance.bodies[steering].members",
            "old": "jdoe",
            "new": None,
        }
    ]
    # People are shown by name, not by id.
    assert describe_changes(old, new, diff_charters(old, new)) == [
        "body Steering group: member removed: Jane Doe"
    ]


def test_content_list_duplicates_count():
    old = charter(principles=[{"name": "Open book"}, {"name": "Open book"}])
    new = charter(principles=[{"name": "Open book"}])
    assert _ops(diff_charters(old, new)) == [
        {"op": "removed", "path": "principles", "old": {"name": "Open book"}, "new": None}
    ]


def test_duplicate_ids_fall_back_to_content():
    old = charter(risks=[{"id": "r-1", "title": "A"}, {"id": "r-1", "title": "B"}])
    new = charter(risks=[{"id": "r-1", "title": "B"}, {"id": "r-1", "title": "C"}])
    assert _ops(diff_charters(old, new)) == [
        {"op": "removed", "path": "risks", "old": {"id": "r-1", "title": "A"}, "new": None},
        {"op": "added", "path": "risks", "old": None, "new": {"id": "r-1", "title": "C"}},
    ]


def test_type_sensitive_scalars():
    # YAML `true` and `1` differ, so the diff must not call them equal as Python does.
    old = charter(extra={"flag": True})
    new = charter(extra={"flag": 1})
    assert _ops(diff_charters(old, new)) == [
        {"op": "changed", "path": "extra.flag", "old": True, "new": 1}
    ]


def test_keys_added_and_removed():
    old = charter()
    new = copy.deepcopy(old)
    del new["review"]["last_reviewed"]
    new["lifecycle_stage"] = "value-creation"
    assert _ops(diff_charters(old, new)) == [
        {"op": "removed", "path": "review.last_reviewed", "old": "2026-08-01", "new": None},
        {"op": "added", "path": "lifecycle_stage", "old": None, "new": "value-creation"},
    ]


def test_empty_list_pairs_with_id_list():
    old = charter(risks=[])
    new = charter(risks=[{"id": "r-1", "title": "Turnover"}])
    assert [c.path for c in diff_charters(old, new)] == ["risks[r-1]"]


def test_diff_does_not_modify_its_inputs():
    old, new = _with_kpis(), _with_kpis()
    new["kpis"][0]["target"] = 1
    before = copy.deepcopy((old, new))
    diff_charters(old, new)
    compare(old, new)
    assert (old, new) == before


def test_fingerprint_and_version_verdicts():
    old = charter()
    # Review bookkeeping and sign-offs are outside the signed content.
    recorded = copy.deepcopy(old)
    recorded["review"]["last_reviewed"] = "2026-09-01"
    recorded["signoffs"] = [{"person": "jdoe", "party": "acme", "fingerprint": "sha256:0"}]
    assert not fingerprint_changed(old, recorded)
    assert compare(old, recorded).needs_version_bump is False

    edited = copy.deepcopy(old)
    edited["purpose"] = "Something else."
    verdict = compare(old, edited)
    assert verdict.fingerprint_changed and not verdict.version_bumped
    assert verdict.needs_version_bump

    edited["version"] = "1.1.0"
    verdict = compare(old, edited)
    assert verdict.version_bumped and not verdict.needs_version_bump
    assert verdict.as_dict()["version"] == {"old": "1.0.0", "new": "1.1.0"}


def test_version_bump_compares_numerically():
    assert version_bumped({"version": "1.9"}, {"version": "1.10"})
    assert not version_bumped({"version": "1.10"}, {"version": "1.9"})
    assert version_bumped({"version": "1.0"}, {"version": "1.0.1"})
    assert not version_bumped({"version": "1.0"}, {"version": "1.0.0"})


def test_sections_group_changes():
    old = _with_kpis()
    new = copy.deepcopy(old)
    new["status"] = "under-review"
    new["kpis"][0]["target"] = 97
    new["title"] = "Renamed"
    groups = group_by_section(diff_charters(old, new))
    assert list(groups) == ["Document control", "KPIs"]
    assert [c.path for c in groups["Document control"]] == ["title", "status"]


def test_describe_step_words():
    old = charter(status="draft", version="1.0")
    new = copy.deepcopy(old)
    new["status"] = "active"
    new["version"] = "1.1"
    new["signoffs"] = [{"person": "rsmith", "party": "globex", "fingerprint": "sha256:0"}]
    new["review"]["log"] = [{"date": "2026-08-01", "reviewers": ["jdoe"], "outcome": "affirmed"}]
    assert describe_step(old, new) == [
        "status draft → active",
        "version 1.0 → 1.1",
        "sign-off added by Raj Smith",
        "review recorded (2026-08-01 affirmed by Jane Doe)",
    ]
    assert describe_step(None, new) == ["created"]
    changed = copy.deepcopy(old)
    changed["purpose"] = "New purpose."
    assert describe_step(old, changed) == [
        "purpose: Keep the public buildings running. → New purpose.",
        "content changed without a version bump",
    ]
    for n in range(4):
        changed["objectives"].append({"id": f"o-{n}", "statement": "More."})
    assert describe_step(old, changed)[0] == "5 other changes (Purpose, Objectives)"


def test_describe_step_bookkeeping_is_not_a_content_change():
    old = charter()
    new = copy.deepcopy(old)
    new["signoffs"] = [{"person": "jdoe", "party": "acme", "fingerprint": "sha256:0"}]
    new["review"]["last_reviewed"] = "2026-09-01"
    assert describe_step(old, new) == [
        "sign-off added by Jane Doe",
        "review: last reviewed 2026-08-01 → 2026-09-01",
    ]
    reordered = copy.deepcopy(old)
    reordered["parties"].reverse()
    assert describe_step(old, reordered) == [
        "items reordered (no change in content, but the fingerprint changed)"
    ]


def test_edited_items_of_content_lists_are_told_as_edits():
    levels = [
        {"level": 1, "name": "Operational", "people": ["jdoe"], "time_limit": "P5D"},
        {"level": 2, "name": "Executive", "people": ["rsmith"], "time_limit": "P10D"},
    ]
    old = charter(escalation={"levels": levels})
    new = copy.deepcopy(old)
    new["escalation"]["levels"][0]["time_limit"] = "P3D"
    new["escalation"]["levels"][0]["people"] = ["jdoe", "rsmith"]
    changes = diff_charters(old, new)
    # The data stays "by content": the old item removed, the new one added.
    assert [(c.op, c.path) for c in changes] == [
        ("removed", "escalation.levels"),
        ("added", "escalation.levels"),
    ]
    describer = Describer(old, new)
    assert [text for _, text in describer.lines(changes)] == [
        "escalation level 1 Operational: people Jane Doe → Jane Doe, Raj Smith",
        "escalation level 1 Operational: time limit P5D → P3D",
    ]
    # Items with nothing in common stay a removal and an addition.
    other = copy.deepcopy(old)
    other["principles"] = [{"name": "Open book"}]
    newer = copy.deepcopy(other)
    newer["principles"] = [{"name": "No blame"}]
    assert [t for _, t in Describer(other, newer).lines(diff_charters(other, newer))] == [
        "principle removed: Open book",
        "principle added: No blame",
    ]


# ----- properties -----------------------------------------------------------------------


_SAMPLE_DATA = [read_charter(p).document.data for p in sorted(SAMPLES.glob("*.yaml"))]
_INVERSE = {"added": "removed", "removed": "added", "changed": "changed"}


def _shuffle_lists(value, rnd):
    """The same data with every list shuffled (id lists and content lists alike)."""
    if isinstance(value, dict):
        return {k: _shuffle_lists(v, rnd) for k, v in value.items()}
    if isinstance(value, list):
        items = [_shuffle_lists(v, rnd) for v in value]
        rnd.shuffle(items)
        return items
    return value


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_SAMPLE_DATA), st.randoms(use_true_random=False))
def test_property_reordering_any_list_is_no_change(data, rnd):
    assert diff_charters(data, _shuffle_lists(data, rnd)) == []


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_SAMPLE_DATA),
    st.sampled_from(_SAMPLE_DATA),
    st.dictionaries(st.sampled_from(["version", "status", "purpose", "x-extra"]), _scalars),
)
def test_property_diff_backwards_is_the_inverse(a, b, edits):
    b = {**copy.deepcopy(b), **edits}
    forward = {(c.op, c.path, repr(c.old), repr(c.new)) for c in diff_charters(a, b)}
    backward = {(_INVERSE[c.op], c.path, repr(c.new), repr(c.old)) for c in diff_charters(b, a)}
    assert forward == backward
    assert (forward == set()) == (a == b)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_SAMPLE_DATA), st.randoms(use_true_random=False))
def test_property_canonical_text_ignores_list_order(data, rnd):
    assert canonical_lines(_shuffle_lists(data, rnd)) == canonical_lines(data)


def test_a_long_text_edited_past_its_shortened_part_shows_the_edit():
    base = charter()
    base["purpose"] = "Provide " + "the group's shared payroll services, " * 4 + "alone."
    new = copy.deepcopy(base)
    new["purpose"] = base["purpose"].replace("alone.", "on its own.")
    [line] = describe_changes(base, new, diff_charters(base, new))
    old_words, new_words = line.removeprefix("purpose: ").split(" → ")
    assert old_words != new_words
    assert old_words.endswith("alone.") and new_words.endswith("on its own.")
    assert old_words.startswith("…") and len(new_words) <= 80
    # Spacing alone: the words show where, as quoted text.
    spaced = copy.deepcopy(base)
    spaced["purpose"] = base["purpose"].replace("alone.", "alone. ")
    [line] = describe_changes(base, spaced, diff_charters(base, spaced))
    assert line.endswith('alone."') or line.endswith('alone. "')
    assert line.split(" → ")[0] != line.split(" → ")[1]


def test_values_that_read_alike_but_differ_in_type_are_told_apart():
    for old, new in (("3.1", 3.1), ("95", 95), ("null", None), (1, 1.0)):
        a, b = charter(version="3.1.0"), charter(version="3.1.0")
        a["kpis"] = [{"id": "k", "name": "K", "target": old, "owner": "jdoe"}]
        b["kpis"] = [{"id": "k", "name": "K", "target": new, "owner": "jdoe"}]
        [line] = describe_changes(a, b, diff_charters(a, b))
        before, after = line.removeprefix("KPI K: target ").split(" → ")
        assert before != after, line
        # git's textconv view must differ as well, or `git diff` shows nothing.
        assert canonical_lines(a) != canonical_lines(b)
    data = charter(version="3.1")
    lines = canonical_lines(data)
    assert 'version: "3.1"' in lines
    assert f"title: {data['title']}" in lines  # plain text stays unquoted
