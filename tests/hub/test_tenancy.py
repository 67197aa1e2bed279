import pytest
from django_scopes import ScopeError, scopes_disabled

from hub.models import Invitation, Membership, NetworkMembership
from hub.tenancy import association_scope


@pytest.mark.parametrize("model", [Membership, Invitation, NetworkMembership])
def test_query_on_association_data_outside_a_scope_raises(db, model):
    with pytest.raises(ScopeError):
        list(model.objects.all())
    with pytest.raises(ScopeError):
        model.objects.filter(pk=1).exists()
    with pytest.raises(ScopeError):
        model.objects.count()


def test_scope_shows_only_that_associations_rows(alice, bob, charlie, association, other_association):
    with association_scope(association):
        emails = set(Membership.objects.values_list("user__email", flat=True))
    assert emails == {"alice@exemple.fr", "bob@exemple.fr"}
    with association_scope(other_association):
        assert list(Membership.objects.values_list("user__email", flat=True)) == ["charlie@exemple.fr"]


def test_a_none_scope_is_refused_instead_of_showing_everything(db):
    with pytest.raises(ValueError), association_scope(None):
        pass


def test_related_manager_of_the_user_is_scoped_too(alice, association):
    with pytest.raises(ScopeError):
        list(alice.memberships.all())
    with scopes_disabled():
        assert alice.memberships.count() == 1
