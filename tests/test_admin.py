"""Platform staff reach every model of ours through the Django admin (which runs unscoped)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

OUR_APPS = ["hub", "shared_tools", "governance", "notifications"]


def our_models():
    return [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_every_model_is_in_the_admin(model):
    assert model in admin.site._registry, f"{model._meta.label} has no ModelAdmin"


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_the_admin_list_of_every_model_opens(client, db, association, alice, model):
    staff = UserFactory(email="staff@asso-hub.fr", is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
