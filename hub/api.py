"""Hub's REST API: the signed-in person, their associations, members, invitations and follow-ups.

Views are thin: an input serializer checks the shape of the data, a service decides and writes,
an output serializer renders. URLs under `associations/<association_slug>/` run inside that
association's scope (`hub.tenancy`); `AssociationPermission` answers 404 to outsiders and 403 to
members lacking the right, and every lookup still goes through `access.association`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import personal_data, ratelimit, selectors, services
from .api_support import AssociationPermission, OptionalSlugField, Pagination, association_access
from .exports import export_association
from .models import (
    Association,
    Electorate,
    HelpMessage,
    HelpRequest,
    HelpStatus,
    Invitation,
    Membership,
    Network,
    Role,
    Threshold,
    User,
)
from .permissions import Access
from .tenancy import association_scope

app_name = "hub_api"

ADVISOR_ROLE = "conseiller"


# Errors, as the schema shows them (the body comes from `hub.api_support.exception_handler`). --
# Built inline because `fields` cannot be a declared field of a Serializer class (it would
# shadow `Serializer.fields`).
ERROR_SERIALIZER = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(
                    help_text=gettext_lazy("Machine-readable: invalid, not_found, permission_denied…")
                ),
                "message": serializers.CharField(
                    help_text=gettext_lazy("A sentence for people, in the user's language.")
                ),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    required=False,
                    help_text=gettext_lazy("For invalid data: the messages of each field sent."),
                ),
            },
        )
    },
)


_ERROR_DESCRIPTIONS = {
    400: "The data sent is not valid, or the action is refused in this state (see `message`).",
    401: "No valid session or `Authorization: Token …` header.",
    403: "The caller is known to the association but lacks the right.",
    404: "Unknown, or not visible to the caller: both give the same body.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ERROR_SERIALIZER, description=_ERROR_DESCRIPTIONS[code]) for code in statuses}


# Output serializers ---------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "enum": [*Role.values, ADVISOR_ROLE], "description": "A member's role, or `conseiller`."},
    component_name="AccessRole",
)
class AccessRoleField(serializers.ChoiceField):
    """The caller's place in an association: a role, or conseiller for a network's follow-up."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[*Role.choices, (ADVISOR_ROLE, gettext_lazy("Conseiller"))], **kwargs)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["code", "email", "display_name", "language", "time_zone"]
        read_only_fields = fields


@dataclass(frozen=True)
class AssociationEntry:
    """An association as the caller sees it: with their role, or `conseiller`."""

    association: Association
    role: str


class AssociationSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField(source="association.slug", read_only=True)
    name = serializers.CharField(source="association.name", read_only=True)
    commune = serializers.CharField(source="association.commune", read_only=True)
    departement = serializers.CharField(source="association.departement", read_only=True)
    description = serializers.CharField(source="association.description", read_only=True)
    role = AccessRoleField(read_only=True)


class AssociationSerializer(AssociationSummarySerializer):
    rna = serializers.CharField(source="association.rna", read_only=True)
    siren = serializers.CharField(source="association.siren", read_only=True)
    default_electorate = serializers.ChoiceField(
        Electorate.choices, source="association.default_electorate", read_only=True
    )
    default_quorum_percent = serializers.IntegerField(source="association.default_quorum_percent", read_only=True)
    default_threshold = serializers.ChoiceField(
        Threshold.choices, source="association.default_threshold", read_only=True
    )
    default_voting_days = serializers.IntegerField(source="association.default_voting_days", read_only=True)
    members_can_propose = serializers.BooleanField(source="association.members_can_propose", read_only=True)
    created_at = serializers.DateTimeField(source="association.created_at", read_only=True)


class MemberSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    # Not read-only so the schema shows it as optional: it is left out for those who may not see it.
    email = serializers.EmailField(
        source="user.email",
        required=False,
        help_text=gettext_lazy("Only shown to the board and administrators."),
    )

    class Meta:
        model = Membership
        fields = ["code", "display_name", "email", "role", "joined_at"]
        read_only_fields = ["code", "role", "joined_at"]


class MemberWithoutEmailSerializer(MemberSerializer):
    email = None  # type: ignore[assignment]

    class Meta(MemberSerializer.Meta):
        fields = ["code", "display_name", "role", "joined_at"]


class AssociationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Association
        fields = ["slug", "name"]
        read_only_fields = fields


class JoinedMembershipSerializer(serializers.ModelSerializer):
    association = AssociationRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["code", "association", "role", "joined_at"]
        read_only_fields = fields


class InvitationSerializer(serializers.ModelSerializer):
    invited_by = serializers.CharField(source="invited_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["code", "email", "role", "message", "invited_by", "created_at", "expires_at", "sent_at"]
        read_only_fields = fields


class NetworkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["slug", "name", "kind", "territory"]
        read_only_fields = fields


class NetworkLinkSerializer(serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    network = NetworkSerializer(read_only=True)
    requested_at = serializers.DateTimeField(read_only=True)
    consented_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    is_pending = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Requested, waiting for an administrator's consent.")
    )
    is_active = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Consented and not ended: the network's conseillers can read.")
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text=gettext_lazy("Send it as `Authorization: Token <token>`."))


# Input serializers: shapes only; the services and the models decide the rest ---------------------


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=150, required=False)
    language = serializers.ChoiceField(settings.LANGUAGES, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)


class AssociationUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    rna = serializers.CharField(max_length=10, allow_blank=True, required=False)
    siren = serializers.CharField(max_length=9, allow_blank=True, required=False)
    commune = serializers.CharField(max_length=120, allow_blank=True, required=False)
    departement = serializers.CharField(max_length=3, allow_blank=True, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    default_electorate = serializers.ChoiceField(Electorate.choices, required=False)
    default_quorum_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    default_threshold = serializers.ChoiceField(Threshold.choices, required=False)
    default_voting_days = serializers.IntegerField(min_value=1, max_value=90, required=False)
    members_can_propose = serializers.BooleanField(required=False)


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(Role.choices)


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(Role.choices, default=Role.MEMBER)
    message = serializers.CharField(max_length=2000, allow_blank=True, default="")


class InvitationAcceptSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=gettext_lazy("The token of the link in the invitation email."))


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


# Shared plumbing ------------------------------------------------------------------------------


def valid_data(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def signed_in_user(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user


def role_in(access: Access) -> str:
    return access.role or ADVISOR_ROLE


class HubAPIView(APIView):
    # Token first: DRF answers an anonymous request with the first class's `WWW-Authenticate`
    # header, so callers get a 401 they can act on (session first would make it a bare 403).
    # Session requests still go through DRF's CSRF check.
    authentication_classes: Sequence[type[BaseAuthentication]] = (TokenAuthentication, SessionAuthentication)
    permission_classes: Sequence[type[BasePermission]] = (IsAuthenticated,)
    parser_classes: Sequence[type[BaseParser]] = (JSONParser,)
    pagination_class = Pagination

    def paginated(
        self, rows: QuerySet[Any] | list[Any], serializer_class: type[serializers.BaseSerializer]
    ) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class AssociationAPIView(HubAPIView):
    """A view under `associations/<association_slug>/`: 404 for outsiders, 403 without the right."""

    permission_classes = (AssociationPermission,)
    required_permissions: dict[str, str] = {}

    @property
    def access(self) -> Access:
        return association_access(self.request)


# The signed-in person -------------------------------------------------------------------------


class AuthTokenView(HubAPIView):
    """Exchange an email address and a password for the account's API token."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Password guessing is slowed per client address (API_AUTH_THROTTLE, 10/min by default).
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            **errors(400),
            429: OpenApiResponse(
                ERROR_SERIALIZER,
                description="Too many failures for this account from this address (or from this address): "
                "cooled off, see `Retry-After`. Even the right password is refused until then.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = valid_data(TokenObtainSerializer, request)
        account, ip = ratelimit.normalise_account(data["email"]), ratelimit.client_ip(request._request)
        lockout = ratelimit.begin_login_attempt(account=account, ip=ip)
        if lockout is not None:
            raise exceptions.Throttled(wait=lockout.retry_after, detail=lockout.message())
        user = authenticate(request._request, email=data["email"], password=data["password"])
        if user is None:
            lockout = ratelimit.login_failed(account=account, ip=ip)
            if lockout is not None:
                raise exceptions.Throttled(wait=lockout.retry_after, detail=lockout.message())
            raise exceptions.ValidationError(_("Unable to log in with provided credentials."))
        ratelimit.login_succeeded(account=account, ip=ip)
        token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


class MeView(HubAPIView):
    """The signed-in person's profile."""

    @extend_schema(tags=["me"], responses={200: UserSerializer, **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(signed_in_user(request)).data)

    @extend_schema(tags=["me"], request=ProfileUpdateSerializer, responses={200: UserSerializer, **errors(400, 401)})
    def patch(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = valid_data(ProfileUpdateSerializer, request)
        user = services.update_profile(
            user=user,
            display_name=data.get("display_name", user.display_name),
            language=data.get("language", user.language),
            time_zone=data.get("time_zone", user.time_zone),
        )
        return Response(UserSerializer(user).data)


class AssociationListView(HubAPIView):
    """Associations the caller is an active member of, and those they follow as conseiller."""

    @extend_schema(tags=["associations"], responses={200: AssociationSummarySerializer(many=True), **errors(401)})
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        entries = {
            membership.association_id: AssociationEntry(membership.association, membership.role)
            for membership in selectors.memberships_of_user(user)
        }
        # One query per network the caller works for (usually one), whatever the number of associations.
        for network in selectors.networks_of_advisor(user):
            for association in selectors.followed_associations(network):
                entries.setdefault(association.pk, AssociationEntry(association, ADVISOR_ROLE))
        rows = sorted(entries.values(), key=lambda entry: (entry.association.name.casefold(), entry.association.pk))
        return self.paginated(rows, AssociationSummarySerializer)


class InvitationAcceptView(HubAPIView):
    """Join the association an invitation names; the caller must be signed in with the invited address."""

    @extend_schema(
        tags=["invitations"],
        request=InvitationAcceptSerializer,
        responses={200: JoinedMembershipSerializer, **errors(400, 401)},
    )
    def post(self, request: Request) -> Response:
        data = valid_data(InvitationAcceptSerializer, request)
        membership = services.accept_invitation(token=data["token"], user=signed_in_user(request))
        return Response(JoinedMembershipSerializer(membership).data)


# One association ------------------------------------------------------------------------------


class AssociationDetailView(AssociationAPIView):
    """The association's details and governance defaults; administrators change them."""

    required_permissions = {"GET": "hub.association:view", "PATCH": "hub.association:change"}

    @extend_schema(tags=["associations"], responses={200: AssociationSerializer, **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        access = self.access
        return Response(AssociationSerializer(AssociationEntry(access.association, role_in(access))).data)

    @extend_schema(
        tags=["associations"],
        request=AssociationUpdateSerializer,
        responses={200: AssociationSerializer, **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, association_slug: str) -> Response:
        access = self.access
        association = services.update_association(access=access, **valid_data(AssociationUpdateSerializer, request))
        return Response(AssociationSerializer(AssociationEntry(association, role_in(access))).data)


def member_serializer_for(access: Access) -> type[MemberSerializer]:
    # The board and administrators already see addresses in the invitations list; members and
    # conseillers see names and roles only.
    return MemberSerializer if access.has("hub.invitations:view") else MemberWithoutEmailSerializer


class MemberListView(AssociationAPIView):
    """Active members, administrators first, then the board, then by name."""

    required_permissions = {"GET": "hub.members:view"}

    @extend_schema(tags=["members"], responses={200: MemberSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        access = self.access
        return self.paginated(selectors.members_of(access.association), member_serializer_for(access))


class MemberDetailView(AssociationAPIView):
    """Change a member's role or remove them (administrators). The last administrator stays."""

    required_permissions = {"PATCH": "hub.members:manage", "DELETE": "hub.members:manage"}

    def get_membership(self, code: UUID) -> Membership:
        return get_object_or_404(self.access.association.memberships.select_related("user"), code=code, is_active=True)

    @extend_schema(
        tags=["members"], request=RoleChangeSerializer, responses={200: MemberSerializer, **errors(400, 401, 403, 404)}
    )
    def patch(self, request: Request, association_slug: str, code: UUID) -> Response:
        access = self.access
        membership = self.get_membership(code)
        data = valid_data(RoleChangeSerializer, request)
        membership = services.change_role(access=access, membership=membership, role=data["role"])
        return Response(member_serializer_for(access)(membership).data)

    @extend_schema(tags=["members"], responses={204: None, **errors(400, 401, 403, 404)})
    def delete(self, request: Request, association_slug: str, code: UUID) -> Response:
        services.remove_member(access=self.access, membership=self.get_membership(code))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeaveView(AssociationAPIView):
    """Leave the association. The last administrator cannot leave."""

    required_permissions = {"POST": "hub.membership:leave"}

    @extend_schema(tags=["members"], request=None, responses={204: None, **errors(400, 401, 403, 404)})
    def post(self, request: Request, association_slug: str) -> Response:
        services.leave_association(access=self.access)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(AssociationAPIView):
    """Pending invitations (board and administrators); only administrators invite administrators."""

    required_permissions = {"GET": "hub.invitations:view", "POST": "hub.invitations:manage"}

    @extend_schema(tags=["invitations"], responses={200: InvitationSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.pending_invitations(self.access.association), InvitationSerializer)

    @extend_schema(
        tags=["invitations"],
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        invitation = services.invite_member(access=self.access, **valid_data(InvitationCreateSerializer, request))
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(AssociationAPIView):
    """Cancel a pending invitation."""

    required_permissions = {"DELETE": "hub.invitations:manage"}

    @extend_schema(tags=["invitations"], responses={204: None, **errors(400, 401, 403, 404)})
    def delete(self, request: Request, association_slug: str, code: UUID) -> Response:
        access = self.access
        invitation = get_object_or_404(access.association.invitations, code=code)
        services.revoke_invitation(access=access, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NetworkLinkListView(AssociationAPIView):
    """The association's follow-ups by networks, open ones first."""

    required_permissions = {"GET": "hub.networks:view"}

    @extend_schema(tags=["networks"], responses={200: NetworkLinkSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.network_links_of(self.access.association), NetworkLinkSerializer)


class NetworkConsentView(AssociationAPIView):
    """Let a network follow the association (administrators), completing its request if it made one."""

    required_permissions = {"POST": "hub.networks:consent"}

    @extend_schema(tags=["networks"], request=None, responses={200: NetworkLinkSerializer, **errors(401, 403, 404)})
    def post(self, request: Request, association_slug: str, network_slug: str) -> Response:
        access = self.access
        # Networks are not association data: any network may be named, and consent creates the link.
        network = get_object_or_404(Network, slug=network_slug)
        link = services.consent_followup(access=access, network=network)
        return Response(NetworkLinkSerializer(link).data)


class NetworkLinkEndView(AssociationAPIView):
    """End or decline a network's follow-up (administrators); its conseillers lose access at once."""

    required_permissions = {"POST": "hub.networks:consent"}

    @extend_schema(
        tags=["networks"], request=None, responses={200: NetworkLinkSerializer, **errors(400, 401, 403, 404)}
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        access = self.access
        link = get_object_or_404(access.association.network_links.select_related("network"), code=code)
        link = services.end_followup(user=signed_in_user(request), link=link, access=access)
        return Response(NetworkLinkSerializer(link).data)


ASSOCIATION = "associations/<slug:association_slug>/"

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("invitations/accept/", InvitationAcceptView.as_view(), name="invitation-accept"),
    path("associations/", AssociationListView.as_view(), name="association-list"),
    path(ASSOCIATION, AssociationDetailView.as_view(), name="association-detail"),
    path(f"{ASSOCIATION}memberships/", MemberListView.as_view(), name="membership-list"),
    path(f"{ASSOCIATION}memberships/leave/", LeaveView.as_view(), name="membership-leave"),
    path(f"{ASSOCIATION}memberships/<uuid:code>/", MemberDetailView.as_view(), name="membership-detail"),
    path(f"{ASSOCIATION}invitations/", InvitationListView.as_view(), name="invitation-list"),
    path(f"{ASSOCIATION}invitations/<uuid:code>/", InvitationDetailView.as_view(), name="invitation-detail"),
    path(f"{ASSOCIATION}networks/", NetworkLinkListView.as_view(), name="network-link-list"),
    path(f"{ASSOCIATION}networks/<slug:network_slug>/consent/", NetworkConsentView.as_view(), name="network-consent"),
    path(f"{ASSOCIATION}networks/<uuid:code>/end/", NetworkLinkEndView.as_view(), name="network-link-end"),
]


# Conseillers' reads and help requests -----------------------------------------------------------


class AdvisorReadSerializer(serializers.Serializer):
    read_at = serializers.DateTimeField(read_only=True)
    advisor = serializers.CharField(source="advisor.display_name", read_only=True)
    network = serializers.SlugField(source="network.slug", read_only=True)
    path = serializers.CharField(read_only=True)
    what = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The page or API resource read (its URL name).")
    )


class HelpMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.display_name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = HelpMessage
        fields = ["code", "author", "by_advisor", "body", "created_at"]
        read_only_fields = fields


class HelpRequestSerializer(serializers.ModelSerializer):
    association = AssociationRefSerializer(read_only=True)
    network = NetworkSerializer(read_only=True)
    message_count = serializers.IntegerField(read_only=True)
    tool_slug = OptionalSlugField(
        read_only=True, allow_null=True, help_text=gettext_lazy("The catalogue tool asked about, if any.")
    )

    class Meta:
        model = HelpRequest
        fields = [
            "code",
            "association",
            "network",
            "title",
            "tool_slug",
            "tool_name",
            "status",
            "created_at",
            "last_message_at",
            "closed_at",
            "message_count",
        ]
        read_only_fields = fields


class HelpRequestDetailSerializer(HelpRequestSerializer):
    messages = HelpMessageSerializer(many=True, read_only=True, source="thread")

    class Meta(HelpRequestSerializer.Meta):
        fields = [*HelpRequestSerializer.Meta.fields, "messages"]
        read_only_fields = fields


class HelpRequestCreateSerializer(serializers.Serializer):
    network = serializers.SlugField(help_text=gettext_lazy("A network that follows the association."))
    title = serializers.CharField(max_length=200)
    message = serializers.CharField(max_length=5000)


class HelpMessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class HelpStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(HelpStatus.choices)


class AdvisorReadListView(AssociationAPIView):
    """Reads of the association's data by conseillers, newest first (administrators)."""

    required_permissions = {"GET": "hub.reads:view"}

    @extend_schema(tags=["networks"], responses={200: AdvisorReadSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.advisor_reads_of(self.access.association), AdvisorReadSerializer)


def _help_request_of(access: Access, code: UUID) -> HelpRequest:
    return get_object_or_404(selectors.help_requests_of(access.association), code=code)


def _with_thread(help_request: HelpRequest) -> HelpRequest:
    help_request.thread = list(selectors.help_messages_of(help_request))  # type: ignore[attr-defined]
    return help_request


class HelpRequestListView(AssociationAPIView):
    """The association's help requests (board, administrators, conseillers); open one (board)."""

    required_permissions = {"GET": "hub.help:view", "POST": "hub.help:request"}

    @extend_schema(tags=["help"], responses={200: HelpRequestSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return self.paginated(selectors.help_requests_of(self.access.association), HelpRequestSerializer)

    @extend_schema(
        tags=["help"],
        request=HelpRequestCreateSerializer,
        responses={201: HelpRequestDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str) -> Response:
        access = self.access
        data = valid_data(HelpRequestCreateSerializer, request)
        network = selectors.active_networks_of(access.association).filter(slug=data["network"]).first()
        if network is None:
            raise exceptions.ValidationError({"network": [_("This network does not follow your association.")]})
        help_request = services.open_help_request(
            access=access, user=signed_in_user(request), network=network, title=data["title"], message=data["message"]
        )
        return Response(
            HelpRequestDetailSerializer(_with_thread(_help_request_of(access, help_request.code))).data,
            status=status.HTTP_201_CREATED,
        )


class HelpRequestDetailView(AssociationAPIView):
    """One help request with its thread."""

    required_permissions = {"GET": "hub.help:view"}

    @extend_schema(tags=["help"], responses={200: HelpRequestDetailSerializer, **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str, code: UUID) -> Response:
        return Response(HelpRequestDetailSerializer(_with_thread(_help_request_of(self.access, code))).data)


class HelpMessageCreateView(AssociationAPIView):
    """Answer in a help request's thread (board, administrators, conseillers of a following network)."""

    required_permissions = {"POST": "hub.help:view"}

    @extend_schema(
        tags=["help"],
        request=HelpMessageCreateSerializer,
        responses={201: HelpMessageSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        access = self.access
        help_request = _help_request_of(access, code)
        message = services.reply_to_help_request(
            access=access,
            user=signed_in_user(request),
            help_request=help_request,
            body=valid_data(HelpMessageCreateSerializer, request)["body"],
        )
        return Response(HelpMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class HelpRequestStatusView(AssociationAPIView):
    """Move a help request: conseillers take, finish or reopen it; the association closes it."""

    required_permissions = {"POST": "hub.help:view"}

    @extend_schema(
        tags=["help"],
        request=HelpStatusSerializer,
        responses={200: HelpRequestSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request: Request, association_slug: str, code: UUID) -> Response:
        access = self.access
        help_request = _help_request_of(access, code)
        services.move_help_request(
            access=access, help_request=help_request, status=valid_data(HelpStatusSerializer, request)["status"]
        )
        return Response(HelpRequestSerializer(_help_request_of(access, code)).data)


class NetworkHelpRequestListView(HubAPIView):
    """Help requests to one of the caller's networks, from the associations that consent to it now."""

    @extend_schema(tags=["help"], responses={200: HelpRequestSerializer(many=True), **errors(401, 404)})
    def get(self, request: Request, network_slug: str) -> Response:
        user = signed_in_user(request)
        network = get_object_or_404(selectors.networks_of_advisor(user), slug=network_slug)
        ids = selectors.followed_association_ids(network)
        with association_scope(ids):
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(selectors.help_requests_for_network(network, ids), request, view=self)
            rows = list(page or [])
            services.log_network_reads(
                user=user,
                network=network,
                association_ids=sorted({row.association_id for row in rows}),
                path=request._request.get_full_path(),
                what="hub_api:network-help-request-list",
            )
            return paginator.get_paginated_response(HelpRequestSerializer(rows, many=True).data)


urlpatterns += [
    path(f"{ASSOCIATION}advisor-reads/", AdvisorReadListView.as_view(), name="advisor-read-list"),
    path(f"{ASSOCIATION}help-requests/", HelpRequestListView.as_view(), name="help-request-list"),
    path(f"{ASSOCIATION}help-requests/<uuid:code>/", HelpRequestDetailView.as_view(), name="help-request-detail"),
    path(
        f"{ASSOCIATION}help-requests/<uuid:code>/messages/", HelpMessageCreateView.as_view(), name="help-message-create"
    ),
    path(
        f"{ASSOCIATION}help-requests/<uuid:code>/status/", HelpRequestStatusView.as_view(), name="help-request-status"
    ),
    path(
        "networks/<slug:network_slug>/help-requests/",
        NetworkHelpRequestListView.as_view(),
        name="network-help-request-list",
    ),
]


# Personal data (RGPD) and the association's export ------------------------------------------------


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=gettext_lazy("The account's current password, to confirm."),
    )


class MyDataView(HubAPIView):
    """Everything Asso Hub holds about the signed-in person, as JSON (the same file as the page)."""

    @extend_schema(
        tags=["me"],
        responses={200: OpenApiResponse(description="The personal data, by app (`format`: 1).")},
    )
    def get(self, request: Request) -> Response:
        return Response(personal_data.personal_data(signed_in_user(request)))


class AccountDeleteView(HubAPIView):
    """Delete the signed-in person's account (password required). Refused for an association's last admin."""

    @extend_schema(tags=["me"], request=AccountDeleteSerializer, responses={204: None, **errors(400, 401)})
    def post(self, request: Request) -> Response:
        data = valid_data(AccountDeleteSerializer, request)
        personal_data.delete_account(user=signed_in_user(request), password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class AssociationExportView(AssociationAPIView):
    """The association's data as a ZIP of CSV and JSON files (administrators; never conseillers)."""

    required_permission = "hub.data:export"

    @extend_schema(
        tags=["associations"],
        responses={
            (200, "application/zip"): OpenApiResponse(description="A ZIP archive."),
            **errors(401, 403, 404),
        },
    )
    def get(self, request: Request, association_slug: str) -> FileResponse:
        access = self.access
        return FileResponse(
            export_association(access=access),
            as_attachment=True,
            filename=export_filename(access.association),
            content_type="application/zip",
        )


def export_filename(association: Association) -> str:
    return f"{association.slug}-{timezone.localdate():%Y-%m-%d}.zip"


urlpatterns += [
    path("me/data/", MyDataView.as_view(), name="me-data"),
    path("me/delete/", AccountDeleteView.as_view(), name="me-delete"),
    path(f"{ASSOCIATION}export/", AssociationExportView.as_view(), name="association-export"),
]
