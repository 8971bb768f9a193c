"""The reading rules of SPEC §3, each with a file that breaks it, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import DATA, SAMPLES, charter

from rmo_cli.charter.loading import MAX_BYTES, parse_charter, parse_yaml, read_charter

READING = DATA / "reading"


def _only_finding(cli, path: Path) -> dict:
    result = cli("validate", path, "--format", "json")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert len(findings) == 1, findings
    assert findings[0]["file"] == str(path)
    return findings[0]


@pytest.mark.parametrize(
    ("name", "rule", "line", "column"),
    [
        ("duplicate-key.yaml", "duplicate-key", 4, 1),
        ("syntax.yaml", "yaml-syntax", 4, 1),
        ("latin1.yaml", "not-utf8", 3, 11),
        ("empty.yaml", "empty-file", 1, 1),
        ("only-comment.yaml", "empty-file", 1, 1),
        ("list-top.yaml", "not-a-mapping", 1, 1),
        ("not-charter.yaml", "not-a-charter", 1, 1),
        ("python-tag.yaml", "yaml-tag", 3, 5),
        ("alias-bomb.yaml", "yaml-alias-bomb", None, None),
        ("nesting-bomb.yaml", "yaml-too-deep", 1, None),
        ("deep-block.yaml", "yaml-too-deep", None, None),
    ],
)
def test_reading_rule_is_reported_with_place(cli, name, rule, line, column) -> None:
    finding = _only_finding(cli, READING / name)
    assert finding["rule"] == rule
    assert finding["severity"] == "error"
    if line is not None:
        assert finding["line"] == line
    if column is not None:
        assert finding["column"] == column
    assert finding["line"] >= 1 and finding["column"] >= 1


def test_duplicate_key_message_names_both_lines() -> None:
    result = read_charter(READING / "duplicate-key.yaml")
    assert result.document is None
    assert "line 3" in result.findings[0].message and "line 4" in result.findings[0].message


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = Path("/tmp/rmo-pwned")
    if marker.exists():
        marker.unlink()
    read_charter(READING / "python-tag.yaml")
    assert not marker.exists()


def test_yaml_12_scalars() -> None:
    raw = (
        b"a: no\nb: yes\nc: on\nd: off\ne: true\nf: false\ng: 2024-03-01\nh: 0755\n"
        b"i: 1:30\nj: ~\nk: 1.5\nl: '1'\nm: !!str 12\nn: NO\n"
    )
    data = parse_yaml(raw, "x.yaml").document.data
    assert data == {
        "a": "no",
        "b": "yes",
        "c": "on",
        "d": "off",
        "e": True,
        "f": False,
        "g": "2024-03-01",
        "h": 755,
        "i": "1:30",
        "j": None,
        "k": 1.5,
        "l": "1",
        "m": "12",
        "n": "NO",
    }


def test_party_called_no_is_norway(cli, tmp_path: Path) -> None:
    data = charter()
    data["parties"][1]["id"] = "no"
    data["governance"]["lead_party"] = "no"
    text = yaml.safe_dump(data, sort_keys=False).replace("'no'", "no")
    assert "id: no\n" in text
    path = tmp_path / "acme-globex.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", path)
    assert result.exit_code == 0, result.stdout


def test_bom_and_crlf_are_accepted(cli, tmp_path: Path) -> None:
    text = yaml.safe_dump(charter(), sort_keys=False).replace("\n", "\r\n")
    path = tmp_path / "acme-globex.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = cli("validate", path, "--format", "json")
    assert result.exit_code == 0, result.stdout
    bad = text.replace("status: active", "status: actve")
    path.write_bytes(b"\xef\xbb\xbf" + bad.encode("utf-8"))
    finding = json.loads(cli("validate", path, "--format", "json").stdout)["findings"][0]
    expected_line = bad.split("\r\n").index("status: actve") + 1
    assert (finding["line"], finding["column"]) == (expected_line, 9)


def test_file_over_5_mib_is_refused_without_parsing(cli, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.write(b"apiVersion: rmo/v1\nkind: RelationshipCharter\npurpose: |\n")
        handle.write(b"  " + b"x" * (MAX_BYTES + 10) + b"\n")
    finding = _only_finding(cli, path)
    assert finding["rule"] == "file-too-large"
    assert (finding["line"], finding["column"], finding["pointer"]) == (1, 1, "")


def test_unreadable_file(cli, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = tmp_path / "locked.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    assert _only_finding(cli, path)["rule"] == "file-unreadable"


def test_every_value_keeps_its_line_and_column() -> None:
    raw = (SAMPLES / "harbourside-globex-facilities.yaml").read_bytes()
    doc = parse_charter(raw, "h.yaml").document
    lines = raw.decode().splitlines()
    for path, (line, column) in doc.positions.items():
        if not path:
            continue
        value = doc.data
        for key in path:
            value = value[key]
        if isinstance(value, str) and "\n" not in value and value:
            source = lines[line - 1][column - 1 :]
            assert source.lstrip("'\"").startswith(value[:10]), (path, line, column)


def test_nesting_bomb_of_100000_levels_does_not_crash() -> None:
    raw = b"[" * 100_000 + b"]" * 100_000
    result = parse_yaml(raw, "bomb.yaml")
    assert result.findings[0].rule == "yaml-too-deep"
    raw = b"- " * 100_000 + b"x\n"
    assert parse_yaml(raw, "bomb.yaml").findings[0].rule == "yaml-too-deep"
    raw = b"a: " + b"{b: " * 100_000 + b"c" + b"}" * 100_000
    assert parse_yaml(raw, "bomb.yaml").findings[0].rule == "yaml-too-deep"


def test_recursive_alias_is_refused() -> None:
    result = parse_yaml(b"a: &a [*a]\n", "r.yaml")
    assert result.document is None
    assert result.findings[0].rule in {"yaml-too-deep", "yaml-alias-bomb"}


def test_merge_keys_and_small_aliases_are_fine() -> None:
    raw = b"base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\nlist: [*b]\n"
    data = parse_yaml(raw, "m.yaml").document.data
    assert data["child"] == {"x": 1, "y": 3}
    assert data["list"] == [{"x": 1, "y": 2}]


def test_multiple_documents_are_a_syntax_finding() -> None:
    result = parse_yaml(b"a: 1\n---\nb: 2\n", "m.yaml")
    assert result.findings[0].rule == "yaml-syntax"
    assert result.findings[0].line == 2


def test_control_character_is_a_finding_with_place() -> None:
    result = parse_yaml(b"a: ok\nb: x\x01y\n", "c.yaml")
    finding = result.findings[0]
    assert (finding.rule, finding.line, finding.column) == ("yaml-syntax", 2, 5)


def test_lone_surrogate_escape_is_a_finding() -> None:
    result = parse_yaml(b'a: "x\\ud800y"\n', "s.yaml")
    assert result.document is None
    assert result.findings[0].rule == "yaml-syntax"


def test_overlong_integer_is_a_finding() -> None:
    result = parse_yaml(b"baseline: " + b"9" * 5001 + b"\n", "n.yaml")
    assert result.document is None
    assert (result.findings[0].rule, result.findings[0].line, result.findings[0].column) == (
        "yaml-syntax",
        1,
        11,
    )


def test_an_endless_device_is_read_only_up_to_the_size_limit(tmp_path: Path) -> None:
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")  # reading it all would never end
    [finding] = read_charter(zero).findings
    assert finding.rule == "file-too-large"


def test_a_pipe_given_on_purpose_is_read_and_one_in_a_folder_is_skipped(
    tmp_path: Path, cli
) -> None:
    from conftest import RMO

    text = (SAMPLES / "meridian-group-shared-services.yaml").read_text(encoding="utf-8")
    # `git show REV:x.yaml | rmo validate /dev/stdin`
    done = subprocess.run(
        [str(RMO), "validate", "/dev/stdin"], input=text, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    # A FIFO (or /dev/zero) that a folder walk meets would block or never end: skipped.
    folder = tmp_path / "charters"
    folder.mkdir()
    os.mkfifo(folder / "fifo.yaml")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "meridian-group-shared-services.yaml").write_text(text, encoding="utf-8")
    result = cli("validate", folder)
    assert result.exit_code == 0, result.stderr
    assert "1 file checked" in result.stdout


def test_hex_and_octal_integers_too_long_to_write_are_refused_where_they_stand() -> None:
    for literal in ("0x" + "f" * 3600, "0o" + "7" * 4800):
        text = json.dumps(charter()).replace('"version": "1.0.0"', f'"version": {literal}')
        result = parse_charter(text.encode(), "c.yaml")
        assert result.document is None
        [finding] = result.findings
        assert "too long to read" in finding.message and finding.line == 1
    short = parse_yaml(b"n: 0xff\nm: 0o17\n", "s.yaml").document
    assert short is not None and short.data == {"n": 255, "m": 15}


@pytest.mark.parametrize(
    ("text", "place", "hint"),
    [
        (
            "apiVersion: rmo/v1\ntitle: Note: read this\n",
            (2, 12),
            'quote the text, as in title: "Note: read this"',
        ),
        (
            "apiVersion: rmo/v1\nparties:\n  - purpose: Why: because\n",
            (3, 17),
            'quote the text, as in purpose: "Why: because"',
        ),
        (
            "apiVersion: rmo/v1\nparties:\n\t- id: x\n",
            (3, 1),
            "not tabs: replace the tab with spaces",
        ),
        ("a:\n  b: 1\n\tc: 2\n", (3, 1), "not tabs: replace the tab with spaces"),
        (
            'apiVersion: rmo/v1\ntitle: "abc\nid: x\n',
            (4, 1),
            "the quote opened at line 2, column 8 is never closed: add the closing quote",
        ),
    ],
)
def test_syntax_error_with_a_known_cause_gets_a_hint(text, place, hint) -> None:
    (finding,) = parse_charter(text.encode(), "c.yaml").findings
    assert finding.rule == "yaml-syntax"
    assert (finding.line, finding.column) == place
    assert finding.message.startswith("YAML syntax: ")
    assert finding.message.endswith(hint)


def test_syntax_error_without_a_known_cause_gets_no_guess() -> None:
    (finding,) = parse_charter(b"a: b\n  c: d\n", "c.yaml").findings
    assert finding.message == "YAML syntax: mapping values are not allowed in this context"
