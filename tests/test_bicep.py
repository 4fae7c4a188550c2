"""tests/bicep.py: every Bicep file parses, a syntax error names file and line, the evaluator is right."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bicep import BicepSyntaxError, Template, bicep_files, parse, parse_text
from tests.conftest import ROOT


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bicep_file_in_the_repository_parses(path: Path) -> None:
    tree = parse(path)
    assert tree["resources"] or tree["parameters"] or tree["outputs"], f"{path}: nothing declared"


def test_the_repository_has_its_template_among_the_bicep_files() -> None:
    assert ROOT / "deploy" / "main.bicep" in bicep_files()


def test_bicep_files_leave_out_virtual_environments_and_node_modules(tmp_path: Path) -> None:
    for folder in ("deploy", ".venv-checkov/lib", "node_modules/x"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "main.bicep").write_text("param a string\n")
    assert bicep_files(tmp_path) == [tmp_path / "deploy" / "main.bicep"]


def test_a_syntax_error_names_the_file_line_and_column() -> None:
    text = "param a string\n\nvar b = {\n  c: ?\n}\n"
    with pytest.raises(BicepSyntaxError, match=r"^deploy/broken\.bicep:4:6: not valid Bicep: Unexpected"):
        parse_text(text, "deploy/broken.bicep")


def test_a_multi_line_conditional_which_the_parser_cannot_read_is_refused() -> None:
    """Valid Bicep since 0.23, but not for pycep-parser (and so not for checkov): keep it on one line."""
    with pytest.raises(BicepSyntaxError, match=":3:3:"):
        parse_text("param p bool\nvar v = p\n  ? 'a'\n  : 'b'\n")


SAMPLE = """
param name string = 'mcem-Bot'
param on bool = false
param port int
var suffix = uniqueString(resourceGroup().id)
var label = 'st${take(replace(toLower(name), '-', ''), 5)}${take(suffix, 3)}'
var settings = concat([
  {
    name: 'PORT'
    value: string(port)
  }
], on ? [
  {
    name: 'ON'
    value: 'yes'
  }
] : [])
resource store 'Microsoft.Storage/storageAccounts@2023-05-01' = if (on) {
  name: label
  location: 'x'
}
resource share 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: store
  name: 'default'
}
var ids = [store.id, share.id, store.properties.primaryEndpoints.table]
var expires = dateTimeToEpoch(dateTimeAdd('2027-01-01T00:00:00Z', 'P1Y'))
"""


@pytest.fixture
def sample(tmp_path: Path) -> Template:
    (tmp_path / "sample.bicep").write_text(SAMPLE)
    return Template(tmp_path / "sample.bicep")


def test_the_evaluator_follows_parameters_defaults_conditions_and_functions(sample: Template) -> None:
    ev = sample.evaluator({"port": 3978}, {"suffix": "xyz123"})
    assert ev.variable("label") == "stmcembxyz"
    assert ev.variable("settings") == [{"name": "PORT", "value": "3978"}]
    on = sample.evaluator({"port": 1, "on": True}, {"suffix": "xyz123"})
    assert [s["name"] for s in on.variable("settings")] == ["PORT", "ON"]
    assert ev.variable("expires") == 1830297600  # 2028-01-01T00:00:00Z: 365 days after 2027-01-01


def test_the_evaluator_builds_ids_and_asks_for_what_only_azure_knows(sample: Template) -> None:
    ev = sample.evaluator({"port": 1}, {"suffix": "abc", "store.properties.primaryEndpoints.table": "t"})
    assert ev.variable("ids") == [
        "/providers/Microsoft.Storage/storageAccounts/stmcembabc",
        "/providers/Microsoft.Storage/storageAccounts/stmcembabc/fileServices/default",
        "t",
    ]
    with pytest.raises(AssertionError, match="parameter port has no default"):
        sample.evaluator({}, {"suffix": "abc"}).variable("settings")
    with pytest.raises(AssertionError, match=r"no value for store\.properties\.primaryEndpoints\.table"):
        sample.evaluator({"port": 1}, {"suffix": "abc"}).variable("ids")


def test_references_see_through_interpolation_but_not_property_names(sample: Template) -> None:
    assert sample.references(sample.variables["label"]["value"]) == {"name", "suffix"}
    assert sample.references(sample.variables["ids"]["value"]) == {"store", "share"}
    assert sample.body("store")["name"] == "label", "the body inside the condition"
