"""Imports every domain's tables, so that metadata (Alembic, create_all) sees all of them."""

from pulso.accounts import models as accounts_models
from pulso.cases import models as cases_models
from pulso.catalog import models as catalog_models
from pulso.customers import models as customers_models
from pulso.feedback import models as feedback_models
from pulso.interactions import models as interactions_models
from pulso.journeys import models as journeys_models
from pulso.kit import changes
from pulso.kit.db import Base
from pulso.notifications import models as notifications_models
from pulso.text import models as text_models

metadata = Base.metadata

__all__ = [
    "accounts_models",
    "cases_models",
    "catalog_models",
    "changes",
    "customers_models",
    "feedback_models",
    "interactions_models",
    "journeys_models",
    "metadata",
    "notifications_models",
    "text_models",
]
