"""Training the service suggester: what it learns from, how it is evaluated and kept, who may choose the
version in use, and the command and nightly task that retrain it."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest
import skops.io as sio
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse
from sklearn.linear_model import SGDClassifier

from civic311.people.models import StaffRole
from civic311.text_intelligence import suggesting, training
from civic311.text_intelligence.models import ServiceModel
from civic311.text_intelligence.tasks import retrain_service_models

from ..factories import JurisdictionFactory, StaffFactory, with_role
from .suggester_helpers import add_history, small_city, trained

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(jurisdiction):
    return jurisdiction, small_city(jurisdiction)


def test_a_new_city_gets_a_model_from_its_catalogue_alone(city):
    jurisdiction, _services = city
    model = trained(jurisdiction)
    assert model.version == 1 and model.active
    assert model.trained_on["history"] == 0
    assert model.trained_on["catalogue"] > 10  # names, keywords one by one, descriptions, in English and Spanish
    assert model.trained_on["services"] == 5  # the information service too: told apart, never suggested to report
    assert model.evaluation == {}  # nothing to hold out
    found = training.loads(bytes(model.artefact))
    assert found["classes"] == sorted(["SR-ST01", "SR-ST04", "SR-CL01", "SR-PD01", "SR-IR01", training.NO_SERVICE])
    answer = suggesting.suggest(jurisdiction, "There is a pothole on my street")
    assert answer.method == "model" and answer.model_version == 1
    assert answer.services[0].service.code == "SR-ST01"


def test_spanish_catalogue_text_is_learnt_too(city):
    jurisdiction, _services = city
    trained(jurisdiction)
    assert suggesting.suggest(jurisdiction, "un bache en la calle").services[0].service.code == "SR-ST01"
    assert suggesting.suggest(jurisdiction, "poste de luz apagado").services[0].service.code == "SR-ST04"


def test_history_is_learnt_and_the_newest_is_held_out_to_evaluate(city):
    jurisdiction, services = city
    made = add_history(services)
    model = trained(jurisdiction)
    assert model.trained_on["history"] == made
    evaluation = model.evaluation
    assert evaluation["held_out"] == int(made * training.HELD_OUT_SHARE)
    for key in ("top1", "top3", "macro_f1", "unsure_share", "sure_accuracy"):
        assert 0.0 <= evaluation[key] <= 1.0, key
    assert evaluation["top1"] >= 0.9 and evaluation["top3"] >= evaluation["top1"]
    assert evaluation["floor"] == pytest.approx(0.4)
    calibration = evaluation["calibration"]
    assert 0.0 <= calibration["ece"] <= 1.0
    assert sum(band["n"] for band in calibration["bins"]) <= evaluation["held_out"]
    assert all(0.0 <= band["accuracy"] <= 1.0 for band in calibration["bins"])
    assert training.TEMPERATURE_RANGE[0] <= evaluation["temperature"] <= training.TEMPERATURE_RANGE[1]
    assert "with_place" in evaluation  # the history has points: the place prior is measured too


def test_descriptions_that_are_empty_or_of_inactive_services_are_left_out(city):
    jurisdiction, services = city
    add_history(services, {"SR-ST01": ["", "   ", "🙂🙂", "pothole"], "SR-CL01": ["graffiti on the wall"]}, copies=1)
    services["SR-CL01"].is_active = False
    services["SR-CL01"].save()
    model = trained(jurisdiction)
    assert model.trained_on["history"] == 1  # "pothole"
    assert "SR-CL01" not in training.loads(bytes(model.artefact))["classes"]


def test_only_the_newest_versions_are_kept_and_never_the_one_in_use(city, settings):
    jurisdiction, _services = city
    settings.CIVIC311_TEXT_MODELS_KEPT = 2
    first = trained(jurisdiction)
    second = trained(jurisdiction, activate=False)
    third = trained(jurisdiction, activate=False)
    kept = list(ServiceModel.objects.filter(jurisdiction=jurisdiction).order_by("version"))
    # Version 1 is in use: kept beyond the two newest.
    assert [model.version for model in kept] == [1, 2, 3]
    assert [model.active for model in kept] == [True, False, False]
    fourth = trained(jurisdiction)
    kept = list(ServiceModel.objects.filter(jurisdiction=jurisdiction).order_by("version"))
    assert [model.version for model in kept] == [3, 4]
    assert kept[1].active and not kept[0].active
    assert {first.pk, second.pk} & {model.pk for model in kept} == set()
    assert fourth.version == 4 and third.version == 3


def test_versions_count_per_city(city):
    jurisdiction, _services = city
    other = JurisdictionFactory(slug="springfield", jurisdiction_id="springfield.gov", is_default=False)
    small_city(other)
    assert trained(jurisdiction).version == 1
    assert trained(other).version == 1
    assert trained(jurisdiction).version == 2
    assert ServiceModel.objects.filter(active=True).count() == 2


def test_a_new_version_in_use_is_read_at_once(city):
    jurisdiction, _services = city
    trained(jurisdiction)
    assert suggesting.suggest(jurisdiction, "pothole").model_version == 1
    trained(jurisdiction)
    assert suggesting.suggest(jurisdiction, "pothole").model_version == 2
    first = ServiceModel.objects.get(jurisdiction=jurisdiction, version=1)
    training.activate_version(first)
    assert suggesting.suggest(jurisdiction, "pothole").model_version == 1


def test_the_model_file_is_hashed_and_loads_only_trusted_types(city):
    jurisdiction, _services = city
    model = trained(jurisdiction)
    assert hashlib.sha256(bytes(model.artefact)).hexdigest() == model.artefact_sha256
    state = training.loads(bytes(model.artefact))
    assert isinstance(state["coef"], np.ndarray)
    # A file holding a scikit-learn object (code it would have to trust) is refused.
    sneaky = sio.dumps({"format": training.ARTEFACT_FORMAT, "model": SGDClassifier()})
    with pytest.raises(ValueError, match="types"):
        training.loads(sneaky)
    with pytest.raises(ValueError, match="format"):
        training.loads(sio.dumps({"format": 999}))


def test_a_tampered_file_falls_back_to_the_keywords_instead_of_failing(city, caplog):
    jurisdiction, _services = city
    model = trained(jurisdiction)
    ServiceModel.objects.filter(pk=model.pk).update(artefact=b"not a model")
    training.loaded_models.forget()
    answer = suggesting.suggest(jurisdiction, "pothole in the street")
    assert answer.method == "keywords"
    assert "unreadable" in caplog.text


def test_a_city_with_no_services_cannot_be_trained(jurisdiction):
    with pytest.raises(ValueError, match="nothing to learn"):
        training.train(jurisdiction)


def test_train_all_trains_every_city_that_offers_services(city):
    jurisdiction, _services = city
    JurisdictionFactory(slug="empty", jurisdiction_id="empty.gov", is_default=False)  # no services: skipped
    made = training.train_all()
    assert [model.jurisdiction_id for model in made] == [jurisdiction.pk]
    assert made[0].trigger == ServiceModel.Trigger.SCHEDULE


def test_the_nightly_task_retrains(city):
    jurisdiction, _services = city
    assert retrain_service_models.call_local() == 1
    assert ServiceModel.objects.get(jurisdiction=jurisdiction).trigger == ServiceModel.Trigger.SCHEDULE


def test_the_command_prints_the_evaluation(city):
    jurisdiction, services = city
    add_history(services)
    out = io.StringIO()
    call_command("train_text_models", "--jurisdiction", jurisdiction.jurisdiction_id, stdout=out)
    printed = out.getvalue()
    assert "version 1 (in use)" in printed
    for word in ("held_out", "top1", "top3", "macro_f1", "sure_accuracy", "calibration (ECE"):
        assert word in printed
    model = ServiceModel.objects.get(jurisdiction=jurisdiction)
    assert model.trigger == ServiceModel.Trigger.COMMAND and model.active


def test_the_command_can_leave_the_version_in_use_alone(city):
    jurisdiction, _services = city
    trained(jurisdiction)
    out = io.StringIO()
    call_command("train_text_models", "--jurisdiction", jurisdiction.slug, "--no-activate", stdout=out)
    assert "too little history" in out.getvalue()
    assert ServiceModel.objects.get(jurisdiction=jurisdiction, active=True).version == 1
    assert ServiceModel.objects.filter(jurisdiction=jurisdiction).count() == 2


def test_the_command_refuses_an_unknown_city(city):
    with pytest.raises(CommandError, match="No jurisdiction"):
        call_command("train_text_models", "--jurisdiction", "atlantis.gov", stdout=io.StringIO())


def test_only_an_administrator_may_choose_the_version_in_use(city):
    jurisdiction, _services = city
    first = trained(jurisdiction)
    trained(jurisdiction)
    supervisor = with_role(StaffFactory(username="sup"), StaffRole.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        training.use_version(first, supervisor)
    assert not ServiceModel.objects.get(pk=first.pk).active
    admin = with_role(StaffFactory(username="ada"), StaffRole.ADMIN)
    training.use_version(first, admin)
    assert ServiceModel.objects.get(pk=first.pk).active
    assert ServiceModel.objects.filter(jurisdiction=jurisdiction, active=True).count() == 1


def test_the_admin_lists_versions_with_their_evaluation_and_switches_the_one_in_use(client, city):
    jurisdiction, services = city
    add_history(services)
    first = trained(jurisdiction)
    second = trained(jurisdiction)
    client.force_login(with_role(StaffFactory(username="ada", is_superuser=True), StaffRole.ADMIN))
    url = reverse("admin:text_intelligence_servicemodel_changelist")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "use_selected" in html and "%" in html
    detail = client.get(reverse("admin:text_intelligence_servicemodel_change", args=[first.pk]))
    assert detail.status_code == 200 and "calibration" in detail.content.decode()
    response = client.post(url, {"action": "use_selected", "_selected_action": [first.pk]})
    assert response.status_code == 302
    assert ServiceModel.objects.get(pk=first.pk).active and not ServiceModel.objects.get(pk=second.pk).active
    # Two at once: refused, nothing changes.
    client.post(url, {"action": "use_selected", "_selected_action": [first.pk, second.pk]})
    assert ServiceModel.objects.get(pk=first.pk).active


def test_the_admin_is_closed_to_other_staff(client, city):
    jurisdiction, _services = city
    trained(jurisdiction)
    client.force_login(with_role(StaffFactory(username="sup"), StaffRole.SUPERVISOR))
    response = client.get(reverse("admin:text_intelligence_servicemodel_changelist"))
    assert response.status_code in (302, 403)


def test_the_place_prior_nudges_but_never_swamps_the_words(city):
    jurisdiction, services = city
    # Graffiti is reported in one part of town, abandoned cars in another (H3 cells far apart).
    west, east = (39.96, -75.22), (39.95, -75.05)
    add_history(
        services,
        {"SR-CL01": HISTORY_GRAFFITI, "SR-PD01": HISTORY_CARS, "SR-ST01": ["pothole in the road"]},
        copies=15,
        places={"SR-CL01": west, "SR-PD01": east, "SR-ST01": east},
    )
    trained(jurisdiction)
    vague = "car with tags by the fence"  # graffiti or an abandoned car: the words alone hesitate
    at_west = suggesting.suggest(jurisdiction, vague, lat=west[0], long=west[1], limit=5)
    at_east = suggesting.suggest(jurisdiction, vague, lat=east[0], long=east[1], limit=5)

    def confidence(answer, code):
        return next(found.confidence for found in answer.services if found.service.code == code)

    assert confidence(at_west, "SR-CL01") > confidence(at_east, "SR-CL01")
    assert confidence(at_east, "SR-PD01") > confidence(at_west, "SR-PD01")
    # Clear words win wherever they are written.
    clear = suggesting.suggest(jurisdiction, "graffiti spray painted on the wall", lat=east[0], long=east[1])
    assert clear.services[0].service.code == "SR-CL01"
    # A point outside every known area changes nothing.
    nowhere = suggesting.suggest(jurisdiction, vague, lat=10.0, long=10.0, limit=5)
    plain = suggesting.suggest(jurisdiction, vague, limit=5)
    assert [found.confidence for found in nowhere.services] == [found.confidence for found in plain.services]


HISTORY_GRAFFITI = ["graffiti on the wall", "tags on the fence", "spray paint on the store"]
HISTORY_CARS = ["abandoned car no plates", "junk car on blocks", "van never moves"]


def test_the_site_starts_without_importing_the_model_libraries():
    # Every process loads the URLs (and through them the suggester) and reads moods; scikit-learn, SciPy and
    # skops cost seconds to import and are only needed where a model is fitted, saved or loaded (the mood
    # models are read with numpy alone).
    code = (
        "import django, sys; django.setup(); import civic311.urls, civic311.text_intelligence.tasks; "
        "import civic311.text_intelligence.admin, civic311.insights.tasks, civic311.insights.forecast_views; "
        "from civic311.text_intelligence import mood; mood.read_mood('third time: the pothole on Pine St!!'); "
        "print(sorted(name for name in ('sklearn', 'scipy', 'skops', 'statsmodels', 'pandas') if name in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "civic311.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
