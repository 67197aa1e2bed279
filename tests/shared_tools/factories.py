"""Factories for the catalogue, stacks and know-how (the named cast lives in tests/conftest.py)."""

import factory
from django.utils.text import slugify
from django_scopes import scopes_disabled

from hub.models import Membership
from shared_tools.models import FreeSoftware, KnowHowLevel, Referent, Stage, Tool, ToolRelation, ToolUsage
from tests.factories import AssociationFactory, ScopeFreeFactory


class ToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tool
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Outil numéro {n}")
    slug = factory.LazyAttribute(lambda tool: slugify(tool.name))
    short_description = "Un outil pour les associations."
    free_software = FreeSoftware.YES


class ToolRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolRelation

    from_tool = factory.SubFactory(ToolFactory)
    to_tool = factory.SubFactory(ToolFactory)
    kind = "alternative_to"


class ToolUsageFactory(ScopeFreeFactory):
    class Meta:
        model = ToolUsage

    association = factory.SubFactory(AssociationFactory)
    tool = factory.SubFactory(ToolFactory)
    stage = Stage.ADOPTED
    purpose = "Pour nos réunions."


class ReferentFactory(ScopeFreeFactory):
    class Meta:
        model = Referent

    association = factory.SelfAttribute("membership.association")
    tool = factory.SubFactory(ToolFactory)
    level = KnowHowLevel.MASTERS


def membership_of(user, association) -> Membership:
    with scopes_disabled():
        return Membership.objects.select_related("user").get(user=user, association=association)
