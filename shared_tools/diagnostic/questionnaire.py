"""Load a versioned questionnaire, check a set of answers against it, score it.

Pure (no database). A questionnaire file is never edited once published: a new version is a new
file, and an assessment stores its version, the ids of its answers and its computed scores, so an
old assessment is still displayed with the questions it was taken with.

The folder is `settings.DIAGNOSTIC_QUESTIONNAIRE_DIR` when set (tests point it at a temporary
folder), else the `questionnaires/` folder next to this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

DEFAULT_DIR = Path(__file__).resolve().parent / "questionnaires"
FILE_PATTERN = re.compile(r"^diagnostic-v(\d+)\.yml$")
LINK_KINDS = frozenset({"tool", "alternative", "tutorial", "proposal", "workshop", "place"})


@dataclass(frozen=True)
class Answer:
    id: str
    label: str
    points: int


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    help: str
    answers: tuple[Answer, ...]

    @property
    def max_points(self) -> int:
        return max(answer.points for answer in self.answers)

    def answer(self, answer_id: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.id == answer_id), None)


@dataclass(frozen=True)
class StepCandidate:
    """A small step the roadmap may propose when its dimension is weak (data, versioned)."""

    id: str
    title: str
    detail: str
    link: dict[str, Any]


@dataclass(frozen=True)
class Dimension:
    id: str
    title: str
    questions: tuple[Question, ...]
    steps: tuple[StepCandidate, ...] = ()

    @property
    def max_points(self) -> int:
        return sum(question.max_points for question in self.questions)


@dataclass(frozen=True)
class Questionnaire:
    version: int
    title: str
    introduction: str
    dimensions: tuple[Dimension, ...]
    questions_by_id: dict[str, tuple[Dimension, Question]] = field(default_factory=dict, compare=False)

    @property
    def question_count(self) -> int:
        return len(self.questions_by_id)

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)


@dataclass(frozen=True)
class Scores:
    dimensions: dict[str, int]
    overall: int


class QuestionnaireNotFound(LookupError):
    pass


def questionnaire_dir() -> Path:
    return Path(getattr(settings, "DIAGNOSTIC_QUESTIONNAIRE_DIR", None) or DEFAULT_DIR)


def available_versions() -> list[int]:
    folder = questionnaire_dir()
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for p in folder.iterdir() if (m := FILE_PATTERN.match(p.name)))


def current_version() -> int:
    versions = available_versions()
    if not versions:
        raise ImproperlyConfigured(f"No diagnostic questionnaire in {questionnaire_dir()}.")
    return versions[-1]


def load_questionnaire(version: int | None = None) -> Questionnaire:
    """The questionnaire of `version` (the latest when None). Raises QuestionnaireNotFound."""
    version = current_version() if version is None else version
    path = questionnaire_dir() / f"diagnostic-v{version}.yml"
    if not path.is_file():
        raise QuestionnaireNotFound(version)
    return _parse_file(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _parse_file(path: str, mtime_ns: int) -> Questionnaire:
    # Keyed on the modification time too, so an edited file (in development) is read again.
    with open(path, encoding="utf-8") as handle:
        return parse_questionnaire(yaml.safe_load(handle), source=path)


def _require(data: Any, key: str, kind: type, where: str) -> Any:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise ImproperlyConfigured(f"{where}: `{key}` is missing or not a {kind.__name__}.")
    return value


def parse_questionnaire(data: Any, *, source: str = "questionnaire") -> Questionnaire:
    """Build a Questionnaire from the YAML data, refusing a malformed file loudly (names the place)."""
    version = _require(data, "version", int, source)
    seen: set[str] = set()
    by_id: dict[str, tuple[Dimension, Question]] = {}
    dimensions = []
    for d_index, d_data in enumerate(_require(data, "dimensions", list, source)):
        where = f"{source}: dimension {d_index + 1}"
        questions = []
        for q_index, q_data in enumerate(_require(d_data, "questions", list, where)):
            q_where = f"{where}, question {q_index + 1}"
            answers = tuple(
                Answer(
                    id=str(_require(a, "id", str, q_where)),
                    label=str(_require(a, "label", str, q_where)),
                    points=int(_require(a, "points", int, q_where)),
                )
                for a in _require(q_data, "answers", list, q_where)
            )
            if len({a.id for a in answers}) != len(answers) or len(answers) < 2:
                raise ImproperlyConfigured(f"{q_where}: at least two answers with distinct ids.")
            if any(a.points < 0 for a in answers) or max(a.points for a in answers) == 0:
                raise ImproperlyConfigured(f"{q_where}: points must be ≥ 0 with at least one > 0.")
            questions.append(
                Question(
                    id=_require(q_data, "id", str, q_where),
                    text=_require(q_data, "text", str, q_where),
                    help=str(q_data.get("help") or ""),
                    answers=answers,
                )
            )
        steps = []
        for s_index, s_data in enumerate(d_data.get("steps") or []):
            s_where = f"{where}, step {s_index + 1}"
            link = _require(s_data, "link", dict, s_where)
            if link.get("kind") not in LINK_KINDS:
                raise ImproperlyConfigured(f"{s_where}: link kind must be one of {sorted(LINK_KINDS)}.")
            steps.append(
                StepCandidate(
                    id=_require(s_data, "id", str, s_where),
                    title=_require(s_data, "title", str, s_where),
                    detail=str(s_data.get("detail") or ""),
                    link=dict(link),
                )
            )
        dimension = Dimension(
            id=_require(d_data, "id", str, where),
            title=_require(d_data, "title", str, where),
            questions=tuple(questions),
            steps=tuple(steps),
        )
        for item_id in [dimension.id, *(q.id for q in questions), *(s.id for s in steps)]:
            if item_id in seen:
                raise ImproperlyConfigured(f"{source}: the id {item_id!r} is used twice.")
            seen.add(item_id)
        by_id.update({q.id: (dimension, q) for q in questions})
        dimensions.append(dimension)
    if not dimensions:
        raise ImproperlyConfigured(f"{source}: no dimension.")
    return Questionnaire(
        version=version,
        title=_require(data, "title", str, source),
        introduction=str(data.get("introduction") or ""),
        dimensions=tuple(dimensions),
        questions_by_id=by_id,
    )


def check_answers(questionnaire: Questionnaire, answers: dict[str, str]) -> None:
    """Every question answered once with one of its answers. Raises ValidationError keyed by question id."""
    errors: dict[str, str] = {}
    for question_id, answer_id in answers.items():
        found = questionnaire.questions_by_id.get(question_id)
        if found is None:
            errors[question_id] = _("“%(question)s” is not a question of version %(version)s.") % {
                "question": question_id,
                "version": questionnaire.version,
            }
        elif found[1].answer(answer_id) is None:
            errors[question_id] = _("“%(answer)s” is not an answer to question “%(question)s”.") % {
                "answer": answer_id,
                "question": question_id,
            }
    for question_id in questionnaire.questions_by_id:
        if question_id not in answers:
            errors[question_id] = _("Answer question “%(question)s”.") % {"question": question_id}
    if errors:
        raise ValidationError(errors)


def _percent(points: int, maximum: int) -> int:
    # Rounded half up with integers, like the dashboard's shares: (200·points + max) div (2·max).
    return (200 * points + maximum) // (2 * maximum) if maximum else 0


def score(questionnaire: Questionnaire, answers: dict[str, str]) -> Scores:
    """Each dimension's points over its maximum, 0–100, and the overall share. Needs checked answers."""
    dimensions: dict[str, int] = {}
    total = maximum = 0
    for dimension in questionnaire.dimensions:
        points = 0
        for question in dimension.questions:
            answer = question.answer(answers[question.id])
            points += answer.points if answer else 0
        dimensions[dimension.id] = _percent(points, dimension.max_points)
        total += points
        maximum += dimension.max_points
    return Scores(dimensions=dimensions, overall=_percent(total, maximum))
