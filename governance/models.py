"""Proposals, their electorate, votes, comments and the decision register.

Every model is association-owned (direct `association` FK, `ScopedManager`, UUID `code`).

Votes are two rows, so that an anonymous ballot keeps no link to its voter:
- `Participation` (elector × proposal, unique): *who* voted and when. Always kept; it is what a
  member sees as "your participation is counted", and what turnout and reminders use.
- `Ballot`: *what* was voted. On a named vote it points to its elector (unique per proposal); on
  an anonymous vote it has no elector, no timestamp and a random UUID primary key (so neither a
  column nor the insertion order links it to a participation). The voter gets a random receipt;
  only its keyed digest is stored, and presenting the receipt is the only way to find (and, if
  the rules allow, change) that ballot again.

Closed (or withdrawn) proposals, their ballots, participations and options, and every decision
are frozen: `save()` / `delete()` raise `FrozenError`, guarded querysets refuse `update()` /
`delete()`, and on PostgreSQL triggers (migration 0002) refuse the same writes from any client.
A decision's `statement` is the one exception: written once, afterwards, outside the hash.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from hub.models import Electorate, Threshold

from . import tally

if TYPE_CHECKING:
    from hub.models import Association


class FrozenError(Exception):
    """A write on a closed proposal's data or on a recorded decision."""


class ProposalKind(models.TextChoices):
    ADOPT = "adopt", _("Adopt a tool")
    REPLACE = "replace", _("Replace a tool by another")
    RETIRE = "retire", _("Retire a tool")
    OTHER = "other", _("Other (policy, budget…)")


class Method(models.TextChoices):
    CONSENT = tally.CONSENT, _("For, against, abstain or blocking objection")
    SINGLE = tally.SINGLE, _("Single choice between options")
    APPROVAL = tally.APPROVAL, _("Approval: approve any number of options")


class Status(models.TextChoices):
    DRAFT = "draft", _("In preparation")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


FINAL_STATUSES = (Status.CLOSED, Status.WITHDRAWN)


class Choice(models.TextChoices):
    FOR = tally.FOR, _("For")
    AGAINST = tally.AGAINST, _("Against")
    ABSTAIN = tally.ABSTAIN, _("Abstain")
    BLOCK = tally.BLOCK, _("Blocking objection")
    OPTIONS = tally.OPTIONS, _("Options chosen")


class Outcome(models.TextChoices):
    ADOPTED = tally.ADOPTED, _("Adopted")
    REJECTED = tally.REJECTED, _("Rejected")
    NO_QUORUM = tally.NO_QUORUM, _("No quorum")


# Guarded querysets ---------------------------------------------------------------------------


class ProposalQuerySet(models.QuerySet["Proposal"]):
    def detach_author(self, *, user_id: int) -> int:
        """Clear the author of the user's proposals, closed ones too: the one change a frozen
        proposal accepts (also allowed by the PostgreSQL trigger), for account deletion."""
        return models.QuerySet.update(self.filter(author_id=user_id), author=None)

    def update(self, **kwargs: Any) -> int:
        # One extra query; the closing update itself targets open rows only, so it passes.
        if self.filter(status__in=FINAL_STATUSES).exists():
            raise FrozenError("Closed or withdrawn proposals cannot be changed.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.exclude(status=Status.DRAFT).exists():
            raise FrozenError("Only proposals in preparation can be deleted.")
        return super().delete()


class ProposalDataQuerySet(models.QuerySet[Any]):
    """Rows that belong to a proposal and freeze with it."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(proposal__status__in=FINAL_STATUSES).exists():
            raise FrozenError("The data of a closed proposal cannot be changed.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(proposal__status__in=FINAL_STATUSES).exists():
            raise FrozenError("The data of a closed proposal cannot be deleted.")
        return super().delete()


class DecisionQuerySet(models.QuerySet["Decision"]):
    def update(self, **kwargs: Any) -> int:
        raise FrozenError("Recorded decisions cannot be changed (the statement is written with record_statement).")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise FrozenError("Recorded decisions cannot be deleted.")

    def record_statement(self, *, pk: int, statement: str, author_name: str, author_code: Any = None) -> int:
        """Set the statement once: a conditional update, so of two writers only the first wins."""
        return models.QuerySet.update(
            self.filter(pk=pk, statement=""),
            statement=statement,
            statement_author=author_name,
            statement_author_code=author_code,
            statement_at=timezone.now(),
        )

    def erase_person(self, *, user_code: Any) -> int:
        """Erase a deleted account's name where it sits outside the hash: the statement's author
        always, the closer's name on content version 2 (where the hash holds only its digest).
        The PostgreSQL trigger allows exactly this update (migration 0003)."""
        erased = models.QuerySet.update(
            self.filter(statement_author_code=user_code), statement_author="", statement_author_code=None
        )
        erased += models.QuerySet.update(
            self.filter(closed_by_code=user_code, content_version__gte=2),
            closed_by_name="",
            closed_by_salt="",
            closed_by_code=None,
        )
        return erased


class FrozenWithProposal(models.Model):
    """save() and delete() refuse once the proposal is closed or withdrawn (one small query)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._check_proposal_open()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._check_proposal_open()
        return super().delete(*args, **kwargs)

    def _check_proposal_open(self) -> None:
        frozen = (
            Proposal.objects.with_scopes_disabled()
            .filter(pk=self.proposal_id, status__in=FINAL_STATUSES)  # type: ignore[attr-defined]
            .exists()
        )
        if frozen:
            raise FrozenError(f"{type(self).__name__}: the proposal is closed.")


# Proposals ----------------------------------------------------------------------------------


class Proposal(models.Model):
    """A question put to a vote, with its own rules (defaulting from the association's settings).

    Lifecycle: draft → open → closed, or withdrawn from draft or open. Voting happens while open,
    between `opens_at` and `closes_at`; discussion from the draft until the close.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ProposalKind.choices, default=ProposalKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"), blank=True, max_length=20000, help_text=_("Markdown."))
    current_tool = models.ForeignKey(
        "shared_tools.Tool",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tool replaced or retired"),
    )
    criteria = models.JSONField(
        _("comparison criteria"),
        default=list,
        blank=True,
        help_text=_("Names of the criteria the options are compared on."),
    )
    method = models.CharField(_("voting method"), max_length=16, choices=Method.choices, default=Method.CONSENT)
    electorate = models.CharField(_("who votes"), max_length=16, choices=Electorate.choices)
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (percentage of voters)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    threshold = models.CharField(_("majority"), max_length=16, choices=Threshold.choices)
    anonymous = models.BooleanField(_("secret ballot"), default=False)
    results_hidden = models.BooleanField(_("results hidden until the close"), default=True)
    allow_vote_change = models.BooleanField(_("votes can be changed until the close"), default=True)
    reason_required = models.BooleanField(_("a reason is required to vote against or object"), default=False)
    opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by the conditional update that claims the reminder: sent at most once.
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(models.Manager.from_queryset(ProposalQuerySet), association="association")

    _loaded_status: str | None = None

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quorum_percent__lte=100), name="proposal_quorum_at_most_100"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="proposal_closes_after_it_opens",
            ),
            # A draft withdrawn before it opened never had dates.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "withdrawn"]) | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="proposal_published_has_dates",
            ),
        ]
        # The beat sweep looks for open proposals by deadline.
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._check_not_final()
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status != Status.DRAFT or self._loaded_status not in (None, Status.DRAFT):
            raise FrozenError("Only proposals in preparation can be deleted.")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any) -> Proposal:
        # Remember the stored status: a row loaded closed stays frozen whatever is assigned to it.
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    def _check_not_final(self) -> None:
        if self._loaded_status in FINAL_STATUSES:
            raise FrozenError("Closed or withdrawn proposals cannot be changed.")

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def voting_is_on(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == Status.OPEN
            and self.opens_at is not None
            and self.closes_at is not None
            and self.opens_at <= now < self.closes_at
        )

    @property
    def uses_options(self) -> bool:
        return self.method in (Method.SINGLE, Method.APPROVAL)


class Option(FrozenWithProposal):
    """One answer of a single-choice or approval vote, or the motion of a consent vote (at most one)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("option"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    tool = models.ForeignKey(
        "shared_tools.Tool", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tool")
    )
    # criterion name → what this option offers on it (free text agreed before the vote).
    assessments = models.JSONField(_("assessment on each criterion"), default=dict, blank=True)

    objects = ScopedManager(models.Manager.from_queryset(ProposalDataQuerySet), association="association")

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "position"], name="option_position_unique_per_proposal"),
        ]

    def __str__(self) -> str:
        return self.label


class Elector(models.Model):
    """Someone allowed to vote on a proposal: the electorate is snapshotted when the vote opens.

    The name and role are copied so the register still reads right when the member leaves or
    changes role; the membership link is cleared (not the row) if the member is ever deleted.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="electors")
    membership = models.ForeignKey("hub.Membership", on_delete=models.SET_NULL, null=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    display_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16)
    # The register (content version 2) hashes `name_digest` = sha256(salt:name), not the name, so
    # deleting the account can erase the name and the salt while the digest — and the chain — stay.
    # Without the salt the digest cannot be matched against a list of names.
    name_salt = models.CharField(max_length=32, blank=True, default="", editable=False)
    name_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("elector")
        verbose_name_plural = _("electors")
        ordering = ["display_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "membership"], name="elector_unique_per_proposal"),
        ]

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        """The name to show: "Former member" once the person deleted their account."""
        return str(_("Former member")) if self.erased_at is not None else self.display_name


def name_commitment(salt: str, name: str) -> str:
    """The digest the register hashes in place of a person's name (see `Elector.name_salt`)."""
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()


def new_name_commitment(name: str) -> tuple[str, str]:
    """A fresh (salt, digest) for `name`."""
    salt = secrets.token_hex(16)
    return salt, name_commitment(salt, name)


class Participation(FrozenWithProposal):
    """An elector voted on a proposal (never what they voted): one per elector, by constraint."""

    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="participations")
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="participations")
    voted_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(models.Manager.from_queryset(ProposalDataQuerySet), association="association")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "elector"], name="participation_one_per_elector"),
        ]

    def __str__(self) -> str:
        return f"{self.elector_id} @ {self.proposal_id}"


class Ballot(FrozenWithProposal):
    """What was voted. Named votes link their elector; anonymous ones only a receipt digest."""

    # A random key rather than a sequence: on an anonymous vote, ballot and participation must not
    # be matchable by insertion order.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ballots")
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, null=True, blank=True, related_name="ballots")
    choice = models.CharField(_("vote"), max_length=16, choices=Choice.choices)
    # Codes (strings) of the options chosen, sorted; empty unless `choice` is "options".
    options = models.JSONField(default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    receipt_digest = models.CharField(max_length=64, blank=True, editable=False)

    objects = ScopedManager(models.Manager.from_queryset(ProposalDataQuerySet), association="association")

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "elector"], condition=Q(elector__isnull=False), name="ballot_one_per_elector"
            ),
            models.UniqueConstraint(
                fields=["proposal", "receipt_digest"], condition=~Q(receipt_digest=""), name="ballot_receipt_unique"
            ),
            models.CheckConstraint(
                condition=Q(elector__isnull=False) | ~Q(receipt_digest=""), name="ballot_named_or_with_receipt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.choice} @ {self.proposal_id}"


class Comment(models.Model):
    """A message in a proposal's discussion (Markdown, rendered sanitised)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("message"), max_length=10000, help_text=_("Markdown."))
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.proposal_id}"


# The register ---------------------------------------------------------------------------------


GENESIS_HASH = "0" * 64


class Decision(models.Model):
    """The recorded result of a closed proposal: one row of the association's register.

    `hash` is the SHA-256 of the decision's canonical content (`governance.register`), which
    includes the proposal's rules and options, the electorate, every ballot and `previous_hash`,
    the hash of the association's previous decision: the register is a chain that an edit
    anywhere breaks. `sequence` numbers the chain per association (unique), so a fork or a gap
    is a constraint violation rather than a silent branch. The statement is written afterwards,
    once, and is not part of the hash.

    No foreign key to users: names are copied. Since content version 2 the hash covers salted
    digests of the electors' and the closer's names, not the names, so deleting an account erases
    the names (`erase_person`, the one update besides the statement that the trigger allows) and
    the chain still verifies. Version 1 decisions hashed the names themselves: they keep them.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="decisions")
    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="decision")
    sequence = models.PositiveIntegerField()
    electorate_size = models.PositiveIntegerField()
    participants = models.PositiveIntegerField()
    expressed = models.PositiveIntegerField()
    quorum_met = models.BooleanField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    winning_option = models.ForeignKey(Option, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    tally = models.JSONField()
    # What the decision changed elsewhere (the stack), as applied in the same transaction.
    effect = models.JSONField(default=list)
    # 1: names in the hash (decisions recorded before names could be erased); 2: salted digests.
    content_version = models.PositiveSmallIntegerField()
    closed_by_name = models.CharField(max_length=150, blank=True)
    # Who closed early: their user code (to find the name when the account is deleted), and on
    # version 2 the salt and digest of the name, the digest being what the hash covers.
    closed_by_code = models.UUIDField(null=True, blank=True)
    closed_by_salt = models.CharField(max_length=32, blank=True, default="")
    closed_by_digest = models.CharField(max_length=64, blank=True, default="")
    recorded_at = models.DateTimeField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    statement = models.TextField(_("outcome statement"), blank=True, max_length=10000)
    statement_author = models.CharField(max_length=150, blank=True)
    statement_author_code = models.UUIDField(null=True, blank=True)
    statement_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(models.Manager.from_queryset(DecisionQuerySet), association="association")

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["association", "sequence"], name="decision_sequence_unique"),
            models.UniqueConstraint(fields=["association", "previous_hash"], name="decision_chain_does_not_fork"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise FrozenError("Recorded decisions cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise FrozenError("Recorded decisions cannot be deleted.")

    @property
    def closer(self) -> str:
        """Who closed the vote early ("" when it closed at its deadline)."""
        if self.closed_by_name:
            return self.closed_by_name
        return str(_("Former member")) if self.closed_by_digest else ""

    @property
    def statement_by(self) -> str:
        if self.statement_author:
            return self.statement_author
        return str(_("Former member")) if self.statement else ""


# Typed tenant lookups: the type checker cannot see the reverse managers the scoped managers make.


def proposals_in(association: Association) -> models.QuerySet[Proposal]:
    """`association.proposals`, typed."""
    return Proposal.objects.filter(association=association)


def decisions_in(association: Association) -> models.QuerySet[Decision]:
    """`association.decisions`, typed."""
    return Decision.objects.filter(association=association)
