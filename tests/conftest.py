import pytest
from django.core.cache import cache
from django.utils import translation

from civic311.catalogue.selectors import forget_cached_catalogue
from civic311.emergencies.selectors import forget_cached_emergencies
from civic311.jurisdictions.selectors import forget_cached_geography
from civic311.people.models import StaffRole
from civic311.text_intelligence.places import forget_streets
from civic311.text_intelligence.training import forget_cached_model

from .factories import (
    DepartmentFactory,
    JurisdictionFactory,
    NeighborhoodFactory,
    ServiceFactory,
    StaffFactory,
    with_role,
)
from .knowledge_helpers import editor
from .work_helpers import world  # noqa: F401  (the department work tests' small city, a fixture)

# Tests that take minutes but use no test database (they start PostgreSQL clusters and processes of their own).
# pytest-django puts every test without the database last, so pytest-xdist ran these alone at the end of the
# PostgreSQL pass (the crash test: 158 s); first, they run beside everything else.
LONGEST_WITHOUT_THE_DATABASE = (
    "tests/test_crash_recovery.py::",
    "tests/test_read_replica.py::test_a_real_streaming_replica",
)
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def first(item: pytest.Item) -> bool:
        return (
            item.nodeid.startswith(LONGEST_WITHOUT_THE_DATABASE)
            and item.get_closest_marker("django_db") is None
            and not DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        )

    items.sort(key=lambda item: not first(item))  # stable: everything else keeps pytest-django's order


@pytest.fixture(autouse=True)
def _fresh_geography_cache():
    # Each test builds its own neighborhoods and holidays; the per-process cache must not leak them.
    forget_cached_geography()
    forget_cached_emergencies()
    forget_cached_catalogue()  # SQLite reuses ids after a rolled-back test: a kept catalogue would be another's
    forget_streets()  # and so would a kept street index or service model
    forget_cached_model()
    yield
    forget_cached_geography()
    forget_cached_emergencies()
    forget_cached_catalogue()
    forget_streets()
    forget_cached_model()


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counts and cached figures of one test must not carry over to the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default():
    # LocaleMiddleware leaves the last request's language active in the thread; start each test in English.
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def jurisdiction(db):
    return JurisdictionFactory()


@pytest.fixture
def center_city(jurisdiction):
    return NeighborhoodFactory(jurisdiction=jurisdiction, slug="center-city", name="Center City")


@pytest.fixture
def department(jurisdiction):
    return DepartmentFactory(jurisdiction=jurisdiction, slug="streets", name="Streets Department")


@pytest.fixture
def service(jurisdiction, department):
    return ServiceFactory(jurisdiction=jurisdiction, department=department, code="SR-ST02", name="Illegal Dumping")


@pytest.fixture
def staff(db):
    """A contact-centre supervisor: works any request of the city (most tests act as one)."""
    return with_role(StaffFactory(username="dana"), StaffRole.SUPERVISOR)


@pytest.fixture
def dana(db):
    """The knowledge-base tests' editor, who writes and publishes their articles."""
    return editor("dana-editor")
