"""Property-based: random bytes, random YAML and mutated samples never raise, only find."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import yaml
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmo_cli.charter.loading import parse_charter, parse_yaml
from rmo_cli.ops.validation import check_document

AS_OF = dt.date(2026, 11, 23)
SAMPLE_BYTES = [p.read_bytes() for p in sorted(SAMPLES.glob("*.yaml"))]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_everything(raw: bytes) -> None:
    result = parse_charter(raw, "random.yaml")
    if result.document is None:
        assert result.findings, "an unreadable file must say why"
    else:
        findings = check_document(result.document, AS_OF)
        for f in findings:
            assert f.file == "random.yaml"
            assert f.line >= 1 and f.column >= 1
        json.dumps([f.as_dict() for f in findings])
    for f in result.findings:
        assert f.line >= 1 and f.column >= 1


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes(raw: bytes) -> None:
    _check_everything(raw)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["no", "yes", "2024-02-30", "P3M", "1.2", "~", "<<", "&a", "*a"]),
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)


@FAST
@given(_values)
def test_random_yaml_documents(value: object) -> None:
    raw = yaml.safe_dump(value, allow_unicode=True).encode("utf-8")
    _check_everything(raw)
    _check_everything(b"apiVersion: rmo/v1\nkind: RelationshipCharter\n" + raw)


@FAST
@given(st.sampled_from(SAMPLE_BYTES), st.data())
def test_mutated_samples(raw: bytes, data: st.DataObject) -> None:
    lines = raw.split(b"\n")
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "garble", "indent", "swap"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "garble":
            noise = data.draw(st.binary(min_size=1, max_size=8))
            lines[index] = lines[index][: len(lines[index]) // 2] + noise
        elif action == "indent":
            lines[index] = b"  " + lines[index]
        else:
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        if not lines:
            lines = [b""]
    _check_everything(b"\n".join(lines))


@FAST
@given(st.sampled_from(SAMPLE_BYTES), st.data())
def test_mutated_sample_values(raw: bytes, data: st.DataObject) -> None:
    """Replace one value of a sample's loaded data with a random one: only findings."""
    doc = parse_charter(raw, "sample.yaml").document
    assert doc is not None
    paths = [p for p in doc.positions if p]
    path = data.draw(st.sampled_from(paths))
    target = doc.data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(_values)
    _check_everything(yaml.safe_dump(doc.data, allow_unicode=True).encode("utf-8"))


def test_validate_cli_on_random_files(cli, tmp_path: Path) -> None:
    """The CLI itself over a folder of odd files: exit 1, findings, no traceback."""
    odd = [b"\xff\xfe", b"[", b"- 1", b": :", b"a: !!binary x", b"a: &x 1\nb: *y", b"\t- x"]
    for i, raw in enumerate(odd):
        (tmp_path / f"odd-{i}.yaml").write_bytes(raw)
    result = cli("validate", tmp_path, "--format", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == len(odd)
    assert {f["file"] for f in report["findings"]} == {str(p) for p in tmp_path.iterdir()}


def test_nesting_bomb_refused_quickly() -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    start = time.perf_counter()
    result = parse_yaml(raw, "bomb.yaml")
    assert result.findings[0].rule == "yaml-too-deep"
    # Not a performance assertion so much as a hang detector: the real cost is milliseconds.
    assert time.perf_counter() - start < 1.0
