"""Schema errors become findings a person can act on."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from rmo_cli.charter.loading import parse_yaml
from rmo_cli.charter.schema_messages import describe


def _findings(schema: dict, text: str) -> list:
    doc = parse_yaml(text.encode(), "x.yaml").document
    errors = Draft202012Validator(schema).iter_errors(doc.data)
    return [f for e in errors for f in describe(doc, e)]


def test_one_of_reports_the_branch_that_nearly_matched() -> None:
    schema = {
        "type": "object",
        "properties": {
            "cadence": {
                "oneOf": [
                    {"type": "string", "enum": ["monthly", "quarterly"]},
                    {
                        "type": "object",
                        "required": ["every"],
                        "properties": {"every": {"type": "integer"}},
                    },
                ]
            }
        },
    }
    (finding,) = _findings(schema, "cadence: quartely\n")
    assert finding.rule == "schema-enum"
    assert "did you mean 'quarterly'" in finding.message
    assert (finding.line, finding.column) == (1, 10)


def test_range_and_type_messages() -> None:
    schema = {
        "type": "object",
        "properties": {
            "impact": {"type": "integer", "minimum": 1, "maximum": 5},
            "ser": {"type": "boolean"},
            "members": {"type": "array", "uniqueItems": True},
        },
    }
    findings = {f.rule: f for f in _findings(schema, "impact: 9\nser: yes\nmembers: [a, b, a]\n")}
    assert findings["schema-range"].message == "impact must be from 1 to 5, not 9"
    assert "write true or false" in findings["schema-type"].message
    assert "'a' more than once" in findings["schema-unique"].message
    assert findings["schema-unique"].line == 3


def test_quoting_advice_repeats_what_the_user_wrote_not_what_yaml_read() -> None:
    schema = {"type": "object", "properties": {"v": {"type": "string"}}}
    for written in ("1.10", "007", "0x1F", "1e3", "-.5", "true"):
        [finding] = _findings(schema, f"v: {written}  # the version\n")
        assert finding.message.endswith(f'put it in quotes: "{written}"'), finding.message
    [finding] = _findings(schema, "{v: 1.10, w: x}\n")  # flow style: cut at the comma
    assert finding.message.endswith('put it in quotes: "1.10"')
