"""What the set-up commands share (civic311/jurisdictions/management/arguments.py): finding the city they
are told about, or the default one, and writing their output file; a usage error exits 2 and names why."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from civic311.jurisdictions.management.arguments import jurisdiction_named

from .factories import JurisdictionFactory

pytestmark = pytest.mark.django_db


def refusal(value: str | None) -> str:
    with pytest.raises(CommandError) as error:
        jurisdiction_named(value)
    assert error.value.returncode == 2
    return str(error.value)


def test_a_city_is_found_by_its_jurisdiction_id_in_any_case_or_by_its_slug(jurisdiction):
    for value in ("phila.gov", "PHILA.GOV", " philadelphia "):
        assert jurisdiction_named(value) == jurisdiction


def test_an_unknown_city_is_answered_with_the_known_ones_named_the_same_way(jurisdiction):
    JurisdictionFactory(slug="springfield", name="Springfield", jurisdiction_id="springfield.gov", is_default=False)
    assert refusal("shelbyville") == "There is no jurisdiction “shelbyville” (there are: philadelphia, springfield)."
    assert refusal("shelbyville.gov") == (
        "There is no jurisdiction “shelbyville.gov” (there are: phila.gov, springfield.gov)."
    )


def test_no_name_is_the_default_city_and_a_clear_refusal_when_there_is_none(db):
    assert refusal(None) == "There is no jurisdiction yet: create one first."
    philadelphia = JurisdictionFactory(is_default=False)
    assert jurisdiction_named(None) == philadelphia  # the only one
    JurisdictionFactory(slug="springfield", name="Springfield", jurisdiction_id="springfield.gov", is_default=False)
    assert refusal(None) == (
        "There is no default jurisdiction; name one with --jurisdiction "
        "(the jurisdictions are: philadelphia, springfield)."
    )


def test_every_command_takes_the_jurisdiction_id_too(jurisdiction):
    out = io.StringIO()
    call_command("dump_catalogue", "--jurisdiction", "phila.gov", stdout=out)
    assert "manage.py load_catalogue FILE --jurisdiction philadelphia" in out.getvalue()


def test_an_output_file_that_cannot_be_written_is_a_usage_error(jurisdiction, tmp_path):
    with pytest.raises(CommandError, match="Cannot write") as error:
        call_command("dump_catalogue", "-o", str(tmp_path), stdout=io.StringIO())  # a directory
    assert error.value.returncode == 2
