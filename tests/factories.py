"""factory_boy factories for volume; the named cast lives in conftest.py."""

import factory
from django_scopes import scopes_disabled

from hub.models import Advisor, Association, Invitation, Membership, Network, NetworkMembership, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    display_name = factory.Faker("name", locale="fr_FR")
    password = factory.django.Password("motdepasse-de-test")


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Association n°{n}")
    slug = factory.Sequence(lambda n: f"association-{n}")
    commune = "Tours"
    departement = "37"


class ScopeFreeFactory(factory.django.DjangoModelFactory):
    """Factories for scoped models create rows outside any request, like fixtures do."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class MembershipFactory(ScopeFreeFactory):
    class Meta:
        model = Membership

    association = factory.SubFactory(AssociationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class InvitationFactory(ScopeFreeFactory):
    class Meta:
        model = Invitation

    association = factory.SubFactory(AssociationFactory)
    email = factory.Sequence(lambda n: f"invite{n}@exemple.fr")
    role = Role.MEMBER


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Network
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Réseau n°{n}")
    slug = factory.Sequence(lambda n: f"reseau-{n}")


class AdvisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisor

    network = factory.SubFactory(NetworkFactory)
    user = factory.SubFactory(UserFactory)


class NetworkMembershipFactory(ScopeFreeFactory):
    class Meta:
        model = NetworkMembership

    association = factory.SubFactory(AssociationFactory)
    network = factory.SubFactory(NetworkFactory)
