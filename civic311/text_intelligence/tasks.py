"""Text intelligence's periodic work (needs the Huey consumer, `manage.py run_huey`); safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import training
from .models import ServiceModel


@db_periodic_task(crontab(hour="3", minute="40"))
def retrain_service_models() -> int:
    """Nightly: a new version of every city's service suggester from the day's history; the number trained."""
    return len(training.train_all(trigger=ServiceModel.Trigger.SCHEDULE))
