"""The catalogue file (docs/catalogue-file.md): `load_catalogue`, `dump_catalogue`, the demo's catalogue."""

from __future__ import annotations

import datetime as dt
import io
import string

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic311.catalogue import services as catalogue_services
from civic311.catalogue.catalogue_file import (
    CatalogueFile,
    CatalogueFileError,
    ChoiceSpec,
    DepartmentSpec,
    EscalationStepSpec,
    GroupSpec,
    QuestionSpec,
    RuleSpec,
    ServiceSpec,
    parse_catalogue,
    render_catalogue,
)
from civic311.catalogue.catalogue_translations import apply_translations, read_translation_files
from civic311.catalogue.models import (
    AttributeValue,
    Department,
    EscalationStep,
    RoutingRule,
    Service,
    ServiceAttribute,
    ServiceGroup,
)
from civic311.catalogue.selectors import catalogue_file_of
from civic311.demo import services as demo

from .factories import JurisdictionFactory, NeighborhoodFactory, filed_request

# The example of docs/catalogue-file.md, plus a neighborhood rule.
EXAMPLE = """
version = 1

[[departments]]
slug = "streets"
name = "Department of Streets"
contact_email = "streets@example.org"
opens_at = 07:00:00
closes_at = 16:00:00
translations.es.name = "Departamento de Calles"
escalation = [
    {label = "point person", offset_business_days = -1, notify_email = "streets@example.org"},
    {label = "supervisor", notify_email = "streets-supervisor@example.org"},
]

[[departments]]
slug = "partner"
name = "Center City Partner"

[[groups]]
name = "Streets"
translations.es.name = "Calles"

[[services]]
code = "POTHOLE"
name = "Pothole"
group = "Streets"
department = "streets"
description = "A hole in the road."
keywords = "pothole, hole, road"
sla_unit = "business_days"
sla_value = 3
service_notice = "3 Business Days"
translations.es.name = "Bache"

[[services.questions]]
code = "size"
datatype = "singlevaluelist"
description = "How big is it?"
required = true
translations.es.description = "¿Qué tamaño tiene?"
choices = [
    {key = "small", name = "Smaller than a plate", translations = {es = {name = "Más pequeño que un plato"}}},
    {key = "large", name = "Larger than a tire", translations = {es = {name = "Más grande que una llanta"}}},
]

[[services.questions]]
code = "gas"
datatype = "singlevaluelist"
description = "Do you smell gas?"
choices = [{key = "yes", name = "Yes"}, {key = "no", name = "No"}]

[[services.rules]]
kind = "canned_answer"
attribute_code = "gas"
attribute_value = "yes"
message = "Leave the area and call 911."
translations.es.message = "Aléjese del lugar y llame al 911."

[[services.rules]]
kind = "neighborhood"
neighborhood = "center-city"
department = "partner"

[[services]]
code = "INFO"
name = "Information"
group = "Streets"
department = "streets"
kind = "information"
"""


def load(path, city="philadelphia", *extra) -> str:
    out = io.StringIO()
    call_command("load_catalogue", str(path), "--jurisdiction", city, *extra, stdout=out)
    return out.getvalue()


def refused(path, city="philadelphia", *extra) -> str:
    with pytest.raises(CommandError) as error:
        load(path, city, *extra)
    assert error.value.returncode == 2
    return str(error.value)


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Department, ServiceGroup, Service, ServiceAttribute, AttributeValue, RoutingRule, EscalationStep)
    )


@pytest.fixture
def city(jurisdiction):
    NeighborhoodFactory(jurisdiction=jurisdiction, slug="center-city", name="Center City")
    return jurisdiction


@pytest.fixture
def example(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


def test_a_file_loads_every_part_of_the_catalogue(city, example):
    output = load(example)
    assert "create service POTHOLE" in output
    assert output.strip().endswith(
        f"Loaded {example} into Philadelphia: 15 created, 0 changed, 0 unchanged, 0 removed."
    )
    pothole = Service.objects.get(jurisdiction=city, code="POTHOLE")
    assert (pothole.sla_unit, pothole.sla_value, pothole.department.slug) == ("business_days", 3, "streets")
    assert pothole.localized("name", "es") == "Bache" and pothole.keyword_list() == ["pothole", "hole", "road"]
    assert [value.key for value in pothole.attributes.get(code="size").values.all()] == ["small", "large"]
    streets = Department.objects.get(slug="streets")
    assert (streets.opens_at, streets.closes_at) == (dt.time(7), dt.time(16))
    assert [(step.order, step.offset_business_days) for step in streets.escalation_steps.all()] == [(1, -1), (2, 0)]
    rules = {rule.kind: rule for rule in pothole.routing_rules.all()}
    by_neighborhood = rules["neighborhood"]
    assert by_neighborhood.department is not None and by_neighborhood.neighborhood is not None
    assert by_neighborhood.department.slug == "partner"
    assert by_neighborhood.neighborhood.slug == "center-city"
    assert rules["canned_answer"].localized("message", "es") == "Aléjese del lugar y llame al 911."
    assert Service.objects.get(code="INFO").kind == "information"


def test_loading_again_changes_nothing(city, example):
    load(example)
    before = counts()
    output = load(example)
    assert output.strip() == f"Loaded {example} into Philadelphia: 0 created, 0 changed, 15 unchanged, 0 removed."
    assert counts() == before


def test_changes_are_applied_and_what_left_the_file_is_removed(city, example):
    load(example)
    large = EXAMPLE[EXAMPLE.index('    {key = "large"') : EXAMPLE.index("\n", EXAMPLE.index('{key = "large"')) + 1]
    changed = (
        EXAMPLE.replace('name = "Pothole"', 'name = "Pothole or sinkhole"')
        .replace("sla_value = 3", "sla_value = 4")
        .replace(large, "")
        .replace("opens_at = 07:00:00", "opens_at = 06:30:00")
    )
    changed = changed.replace('{label = "supervisor", notify_email = "streets-supervisor@example.org"},', "")
    example.write_text(changed, encoding="utf-8")
    output = load(example)
    assert "change service POTHOLE: name, sla_value" in output
    assert "change department streets: opens_at" in output
    assert "remove choice large of question size of POTHOLE" in output
    assert "remove escalation step 2 of streets" in output
    assert "0 created, 2 changed, 11 unchanged, 2 removed." in output
    pothole = Service.objects.get(code="POTHOLE")
    assert (pothole.name, pothole.sla_value) == ("Pothole or sinkhole", 4)
    assert list(pothole.attributes.get(code="size").values.values_list("key", flat=True)) == ["small"]


def test_a_dry_run_says_what_would_change_and_writes_nothing(city, example):
    output = load(example, "phila.gov", "--dry-run")  # the jurisdiction_id names the city too
    assert "create service POTHOLE" in output
    assert "Dry run, nothing written. Philadelphia: 15 created" in output
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_every_problem_is_reported_with_its_path_and_nothing_is_written(city, example):
    load(example)
    bad = (
        EXAMPLE.replace('name = "Pothole"', 'name = "Renamed"')  # a good change, which must not be written
        .replace('group = "Streets"\ndepartment = "streets"\nkind', 'group = "Sanitaton"\ndepartment = "x"\nkind')
        .replace('choices = [{key = "yes", name = "Yes"}, {key = "no", name = "No"}]', "")
        .replace('attribute_value = "yes"', 'attribute_value = "maybe"')
        .replace("sla_value = 3", "sla_value = 3\nsla_hours = 4")
        .replace('description = "A hole in the road."', 'description = "A hole in the road."\nactive = "yes"')
    )
    example.write_text(bad, encoding="utf-8")
    message = refused(example)
    assert "nothing was written" in message
    assert "services[0].questions[1].choices: A singlevaluelist question needs at least one choice." in message
    assert "services[1].group: There is no group “Sanitaton” in the file's groups." in message
    assert "services[1].department: There is no department with the slug “x” in the file's departments." in message
    assert "services[0].sla_hours: Unknown key" in message
    assert "services[0].active: Write true or false." in message
    assert Service.objects.get(code="POTHOLE").name == "Pothole"


def test_database_rules_are_reported_with_the_path_too(city, example):
    bad = EXAMPLE.replace('neighborhood = "center-city"', 'neighborhood = "fishtown"').replace(
        'name = "Center City Partner"', 'name = "Center City Partner"\nopens_at = 18:00:00'
    )
    example.write_text(bad, encoding="utf-8")
    message = refused(example)
    assert "departments[1]: A department must open before it closes." in message
    assert (
        "services[0].rules[1].neighborhood: Philadelphia has no neighborhood “fishtown”; load the neighborhoods "
        "first." in message
    )
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_a_rule_must_name_a_question_and_one_of_its_choices(city, example):
    example.write_text(
        EXAMPLE.replace('attribute_value = "yes"', 'attribute_value = "maybe"').replace(
            '{label = "supervisor"', '{label = "supervisor", order = 1'
        ),
        encoding="utf-8",
    )
    message = refused(example)
    assert "services[0].rules[0].attribute_value: “maybe” is not a choice of the question “gas”." in message
    assert "departments[0].escalation[1].order: Another step of this ladder has the order 1." in message


def test_removing_a_service_that_requests_use_is_refused(city, example):
    load(example)
    filed_request(Service.objects.get(code="POTHOLE"), answers={"size": "small"})
    pothole, info = EXAMPLE.index('[[services]]\ncode = "POTHOLE"'), EXAMPLE.index('[[services]]\ncode = "INFO"')
    without_pothole = EXAMPLE[:pothole] + EXAMPLE[info:]
    example.write_text(without_pothole, encoding="utf-8")
    message = refused(example)
    assert (
        "services: service POTHOLE is not in the file, but 1 contact, 1 service request still use it; keep it "
        "in the file with active = false to stop offering it."
    ) in message
    assert Service.objects.filter(code="POTHOLE").exists()
    # Retiring it the documented way works, and keeps its requests' service.
    example.write_text(EXAMPLE.replace('name = "Pothole"', 'name = "Pothole"\nactive = false'), encoding="utf-8")
    assert "change service POTHOLE: active" in load(example)
    assert not Service.objects.get(code="POTHOLE").is_active


def test_removing_a_question_or_choice_that_requests_answered_is_refused(city, example):
    # Answers are kept by code in the request: removing the question (or the choice) would hide them.
    load(example)
    filed_request(Service.objects.get(code="POTHOLE"), answers={"size": "small"})
    size = EXAMPLE.index('[[services.questions]]\ncode = "size"')
    gas = EXAMPLE.index('[[services.questions]]\ncode = "gas"')
    example.write_text(EXAMPLE[:size] + EXAMPLE[gas:], encoding="utf-8")
    message = refused(example)
    assert (
        "services[0].questions: question size of POTHOLE is not in the file, but 1 service request still use it."
    ) in message
    small = next(line for line in EXAMPLE.splitlines(keepends=True) if '{key = "small"' in line)
    example.write_text(EXAMPLE.replace(small, ""), encoding="utf-8")
    message = refused(example)
    assert (
        "services[0].questions[0].choices: choice small of question size of POTHOLE is not in the file, but 1 "
        "service request still use it."
    ) in message
    assert AttributeValue.objects.filter(key="small", attribute__code="size").exists()
    # A choice nobody chose still goes.
    large = next(line for line in EXAMPLE.splitlines(keepends=True) if '{key = "large"' in line)
    example.write_text(EXAMPLE.replace(large, ""), encoding="utf-8")
    assert "remove choice large of question size of POTHOLE" in load(example)


def test_a_service_nothing_uses_is_removed_with_its_questions(city, example):
    load(example)
    example.write_text(EXAMPLE[: EXAMPLE.index('[[services]]\ncode = "INFO"')], encoding="utf-8")
    assert "remove service INFO" in load(example)
    assert not Service.objects.filter(code="INFO").exists()


def test_a_department_with_staff_is_not_removed(city, example, staff):
    load(example)
    staff.department = Department.objects.get(slug="partner")
    staff.save()
    example.write_text(
        EXAMPLE.replace('[[departments]]\nslug = "partner"\nname = "Center City Partner"\n', "").replace(
            'department = "partner"', 'department = "streets"'
        ),
        encoding="utf-8",
    )
    message = refused(example)
    assert "departments: department partner is not in the file, but 1 " in message
    assert Department.objects.filter(slug="partner").exists()


def test_another_citys_catalogue_is_left_alone(city, example):
    other = JurisdictionFactory(slug="chicago", name="Chicago", jurisdiction_id="cityofchicago.org", is_default=False)
    chicago = EXAMPLE.replace('neighborhood = "center-city"', 'neighborhood = "loop"')
    example.write_text(chicago, encoding="utf-8")
    NeighborhoodFactory(jurisdiction=other, slug="loop")
    load(example, "chicago")
    example.write_text(EXAMPLE, encoding="utf-8")
    load(example)
    assert Service.objects.filter(code="POTHOLE").count() == 2
    example.write_text(chicago[: chicago.index('[[services]]\ncode = "INFO"')], encoding="utf-8")
    assert "remove service INFO" in load(example, "chicago")
    assert Service.objects.filter(jurisdiction=city, code="INFO").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not = [toml", "The file is not valid TOML"),
        ("version = 2", "version: This civic311 reads version 1 of the catalogue file."),
        (
            "[[services]]\ncode = 'A B'",
            "services[0].code: “A B” may use only letters, digits, dots, dashes and underscores.",
        ),
        (
            "[[departments]]\nslug = 'a.b'",
            "departments[0].slug: “a.b” may use only letters, digits, dashes and underscores.",
        ),
        ("services = 3", "services: Write a list of tables"),
        (
            "[[groups]]\nname = 'A'\ntranslations.xx_bad.name = 'B'",
            "groups[0].translations.xx_bad: “xx_bad” is not a language code",
        ),
        (
            "[[groups]]\nname = 'A'\ntranslations.es.title = 'B'",
            "groups[0].translations.es.title: This cannot be translated here; use name.",
        ),
    ],
)
def test_bad_files_are_explained(city, tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert expected in refused(path)


def test_unknown_city_and_missing_file_are_usage_errors(city, example, tmp_path):
    message = refused(example, "springfield")
    assert "There is no jurisdiction “springfield” (there are: philadelphia)." in message
    assert "Cannot read" in refused(tmp_path / "missing.toml")


def test_dump_writes_what_load_reads_back(city, example, tmp_path):
    load(example)
    dumped = tmp_path / "dumped.toml"
    err = io.StringIO()
    call_command("dump_catalogue", "--jurisdiction", "philadelphia", "-o", str(dumped), stderr=err)
    assert "Wrote 2 services of Philadelphia" in err.getvalue()
    assert parse_catalogue(dumped.read_text(encoding="utf-8")) == catalogue_file_of(city)
    assert parse_catalogue(dumped.read_text(encoding="utf-8")).services == parse_catalogue(EXAMPLE).services
    assert "0 created, 0 changed, 15 unchanged, 0 removed." in load(dumped)
    out = io.StringIO()
    call_command("dump_catalogue", stdout=out)  # the default city, to standard output
    assert out.getvalue().startswith("# The catalogue of Philadelphia (phila.gov)")


def test_the_demo_catalogue_is_a_catalogue_file_that_round_trips(db, tmp_path):
    city = demo.create_jurisdiction()
    demo.load_neighborhoods(city)
    demo.load_catalogue(city)
    committed = parse_catalogue(demo.CATALOGUE_FILE.read_text(encoding="utf-8"))
    translation_files = sorted(demo.CATALOGUE_TRANSLATIONS.glob("*.toml"))
    assert catalogue_file_of(city) == apply_translations(committed, read_translation_files(translation_files))
    assert len(committed.services) == Service.objects.filter(jurisdiction=city).count() == 24
    # The committed file is as dump_catalogue writes it (apart from its opening comment).
    body = demo.CATALOGUE_FILE.read_text(encoding="utf-8").split("\nversion = 1\n", 1)[1]
    assert render_catalogue(committed).split("version = 1\n", 1)[1] == body
    out = load(demo.CATALOGUE_FILE, "phila.gov", "--translations", *map(str, translation_files))
    assert "0 created, 0 changed" in out
    assert "vi.toml: 252 texts in vi, a draft" in out


# --- any catalogue survives the trip: file → database → file ---------------------------------------

words = st.text(alphabet=string.ascii_letters + " éñ¿?&\"'\\", min_size=1, max_size=24).filter(str.strip)
codes = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=12)
translations = st.dictionaries(st.sampled_from(["es", "zh-hans"]), st.fixed_dictionaries({"name": words}), max_size=2)


@st.composite
def catalogues(draw) -> CatalogueFile:
    slugs = draw(
        st.lists(
            st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=10), min_size=1, max_size=3, unique=True
        )
    )
    departments = tuple(
        DepartmentSpec(
            slug=slug,
            name=draw(words),
            point_person=draw(st.sampled_from(["", "Ana Ruiz"])),
            contact_email=draw(st.sampled_from(["", f"{slug}@example.org"])),
            opens_at=dt.time(draw(st.integers(0, 11)), draw(st.sampled_from([0, 30]))),
            closes_at=dt.time(draw(st.integers(12, 23)), 0),
            open_weekdays=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
            translations=draw(translations),
            escalation=tuple(
                EscalationStepSpec(
                    label=draw(words),
                    offset_business_days=draw(st.integers(-3, 3)),
                    notify_email=f"{slug}-{order}@example.org",
                    order=order,
                )
                for order in range(1, draw(st.integers(0, 2)) + 1)
            ),
        )
        for slug in sorted(slugs)
    )
    group_names = draw(st.lists(words, min_size=1, max_size=3, unique=True))
    groups = tuple(
        GroupSpec(name=name, order=order, translations=draw(translations))
        for order, name in enumerate(group_names, start=1)
    )
    services = []
    for order, code in enumerate(sorted(draw(st.lists(codes, min_size=1, max_size=3, unique=True))), start=1):
        questions = []
        for question_order, question_code in enumerate(draw(st.lists(codes, max_size=3, unique=True)), start=1):
            datatype = draw(
                st.sampled_from(["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"])
            )
            keys = draw(st.lists(codes, min_size=1, max_size=3, unique=True)) if "list" in datatype else []
            questions.append(
                QuestionSpec(
                    code=question_code,
                    datatype=datatype,
                    description=draw(words),
                    datatype_description=draw(st.sampled_from(["", "Help"])),
                    required=draw(st.booleans()),
                    variable=draw(st.booleans()),
                    order=question_order,
                    choices=tuple(
                        ChoiceSpec(key=key, name=draw(words), order=choice_order, translations=draw(translations))
                        for choice_order, key in enumerate(keys, start=1)
                    ),
                )
            )
        rules: tuple[RuleSpec, ...] = ()
        if questions and draw(st.booleans()):
            first = questions[0]
            rules = (
                RuleSpec(
                    kind=draw(st.sampled_from(["hazard_alert", "canned_answer"])),
                    attribute_code=first.code,
                    attribute_value=first.choices[0].key if first.choices else draw(codes),
                    message=draw(words),
                    order=1,
                ),
            )
        sla_unit = draw(st.sampled_from(["business_days", "hours", "none"]))
        services.append(
            ServiceSpec(
                code=code,
                name=draw(words),
                group=draw(st.sampled_from(group_names)),
                department=draw(st.sampled_from(slugs)),
                description=draw(st.sampled_from(["", "Line one.\nLine two."])),
                keywords=draw(st.sampled_from(["", "a, b", "a,b"])),
                kind=draw(st.sampled_from(["request", "information"])),
                open311_type=draw(st.sampled_from(["realtime", "batch", "blackbox"])),
                sla_unit=sla_unit,
                sla_value=None if sla_unit == "none" else draw(st.integers(1, 400)),
                active=draw(st.booleans()),
                order=order,
                typical_volume=draw(st.integers(0, 10**6)),
                translations=draw(translations),
                questions=tuple(questions),
                rules=rules,
            )
        )
    return CatalogueFile(departments=departments, groups=groups, services=tuple(services))


@settings(max_examples=60, deadline=None)
@given(catalogue=catalogues())
def test_any_catalogue_file_reads_back_as_written(catalogue):
    assert parse_catalogue(render_catalogue(catalogue, header="A header\nwith two lines")) == catalogue


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=catalogues(), second=catalogues())
def test_any_catalogue_loads_and_dumps_back_identical(jurisdiction, first, second):
    # Each example in a savepoint, rolled back: the database starts empty every time.
    with transaction.atomic():
        catalogue_services.load_catalogue(jurisdiction, first)
        assert catalogue_file_of(jurisdiction) == first
        report = catalogue_services.load_catalogue(jurisdiction, first)
        assert not report.changes
        # Loading another catalogue over it makes it that one (nothing uses the entries, so all may go).
        catalogue_services.load_catalogue(jurisdiction, second)
        assert catalogue_file_of(jurisdiction) == second
        transaction.set_rollback(True)


def test_the_loader_raises_with_every_problem(jurisdiction):
    department = DepartmentSpec(slug="a", name="A", opens_at=dt.time(18), path="departments[0]")
    catalogue = CatalogueFile(departments=(department,))
    with pytest.raises(CatalogueFileError) as error:
        catalogue_services.load_catalogue(jurisdiction, catalogue)
    assert error.value.problems == ["departments[0]: A department must open before it closes."]
    assert not Department.objects.exists()


def test_a_department_without_an_escalation_key_keeps_its_ladder(city, example):
    load(example)
    partner = Department.objects.get(slug="partner")
    EscalationStep.objects.create(department=partner, order=1, label="director", notify_email="d@example.org")
    assert "0 created, 0 changed, 15 unchanged, 0 removed." in load(example)
    assert partner.escalation_steps.count() == 1
