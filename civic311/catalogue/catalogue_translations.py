"""Catalogue translation files: a catalogue's texts in one language, in a file of their own (issue 21).

A city's translators work one language at a time, and a catalogue in seventeen languages would bury the
catalogue file's own keys under its translations. So beside the catalogue file (`catalogue_file.py`), which
may keep a few `translations.es.name = "…"` lines itself, a city may keep one file per language:

    language = "vi"
    draft = true   # machine-assisted or not yet reviewed by a speaker

    [departments.streets-department]
    name = "Sở Đường phố"

    [groups."Parks and Trees"]
    name = "Công viên và cây xanh"

    [services.SR-ST03]
    name = "…"
    description = "…"
    service_notice = "…"

    [services.SR-ST03.questions.missed]
    description = "…"
    choices.trash = "…"

    [services.SR-ST10.rules."canned_answer:gas_smell=yes"]
    message = "…"

Entries are found by what identifies them in the catalogue (a department's slug, a group's name, a service's
code, a question's code, a choice's key, a rule's kind and answer), never by position, so a file survives the
catalogue being reordered. An empty text is "not translated yet" and leaves the English. `render_template`
writes the file a translator starts from, with each English text as a comment above its key.

`apply_translations` merges the files into the parsed catalogue; `load_catalogue` then writes the catalogue
as usual. A file that names something the catalogue does not have is refused with every such problem listed,
like the catalogue file's own problems.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomlkit
from django.utils.translation import gettext as _
from tomlkit.items import Table

from .catalogue_file import (
    CatalogueFile,
    CatalogueFileError,
    ChoiceSpec,
    DepartmentSpec,
    GroupSpec,
    QuestionSpec,
    RuleSpec,
    ServiceSpec,
)
from .models import LANGUAGE_CODE

DEPARTMENT_FIELDS = ("name",)
GROUP_FIELDS = ("name",)
SERVICE_FIELDS = ("name", "description", "service_notice")
QUESTION_FIELDS = ("description", "datatype_description")
RULE_FIELDS = ("message",)


@dataclass(frozen=True)
class TranslationFile:
    """One language's catalogue texts, as read from its file: `texts` maps a key path
    (("services", "SR-ST03", "questions", "missed", "choices", "trash")) to the text."""

    language: str
    draft: bool
    texts: dict[tuple[str, ...], str]
    name: str = ""  # the file's name, for problems

    @property
    def translated(self) -> int:
        return sum(1 for text in self.texts.values() if text)


def rule_key(rule: RuleSpec) -> str:
    """What names a rule in a translation file: its kind and the answer it reacts to."""
    if rule.neighborhood:
        return f"{rule.kind}:{rule.neighborhood}"
    return f"{rule.kind}:{rule.attribute_code}={rule.attribute_value}"


def _translatable(catalogue: CatalogueFile) -> Iterator[tuple[tuple[str, ...], Any, str]]:
    """(key path, spec, field) of every English text of the catalogue a resident reads, in the catalogue's
    order: the one walk that `source_texts` and `existing_translations` both read."""
    for department in catalogue.departments:
        yield ("departments", department.slug, "name"), department, "name"
    for group in catalogue.groups:
        yield ("groups", group.name, "name"), group, "name"
    for service in catalogue.services:
        base = ("services", service.code)
        for name in SERVICE_FIELDS:
            if getattr(service, name):
                yield (*base, name), service, name
        for question in service.questions:
            at = (*base, "questions", question.code)
            for name in QUESTION_FIELDS:
                if getattr(question, name):
                    yield (*at, name), question, name
            for choice in question.choices:
                yield (*at, "choices", choice.key), choice, "name"
        for rule in service.rules:
            if rule.message:
                yield (*base, "rules", rule_key(rule), "message"), rule, "message"


def source_texts(catalogue: CatalogueFile) -> dict[tuple[str, ...], str]:
    """Every English text of the catalogue a resident reads, by key path, in the catalogue's order."""
    return {key: getattr(spec, name) for key, spec, name in _translatable(catalogue)}


def existing_translations(catalogue: CatalogueFile, language: str) -> dict[tuple[str, ...], str]:
    """The catalogue's own translations into `language` of those texts, by the same key paths."""
    found = {
        key: str(spec.translations.get(language, {}).get(name, "")) for key, spec, name in _translatable(catalogue)
    }
    return {key: text for key, text in found.items() if text}


# --- reading -----------------------------------------------------------------------------------------


def parse_translation_file(text: str, *, name: str = "") -> TranslationFile:
    """One language's file read; raises CatalogueFileError listing every problem of its shape (whether what it
    names exists is checked by `apply_translations`, which knows the catalogue)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogueFileError([_("The file is not valid TOML: %(error)s") % {"error": error}]) from None
    problems: list[str] = []
    for key in sorted(set(document) - {"language", "draft", "departments", "groups", "services"}):
        problems.append(f"{key}: " + _("Unknown key."))
    language = document.get("language")
    if not isinstance(language, str) or not LANGUAGE_CODE.match(language):
        problems.append("language: " + _("Give the language's code, such as es or zh-hans."))
        language = ""
    draft = document.get("draft", False)
    if not isinstance(draft, bool):
        problems.append("draft: " + _("Write true or false."))
        draft = False
    texts: dict[tuple[str, ...], str] = {}
    _collect(document, (), texts, problems)
    if problems:
        raise CatalogueFileError(problems)
    return TranslationFile(language=language, draft=draft, texts=texts, name=name)


def _collect(table: dict[str, Any], path: tuple[str, ...], texts: dict[tuple[str, ...], str], problems: list[str]):
    for key, value in table.items():
        if not path and key in ("language", "draft"):
            continue
        here = (*path, key)
        if isinstance(value, dict):
            _collect(value, here, texts, problems)
        elif isinstance(value, str):
            texts[here] = value.strip()
        else:
            problems.append(_dotted(here) + ": " + _("Write the translation as text in quotes."))


def _dotted(path: Iterable[str]) -> str:
    return ".".join(part if part.replace("-", "").replace("_", "").isalnum() else f'"{part}"' for part in path)


def apply_translations(catalogue: CatalogueFile, files: Iterable[TranslationFile]) -> CatalogueFile:
    """The catalogue with every file's texts as its translations in the file's language (a file's text wins
    over the catalogue's own line; an empty text leaves it). Raises CatalogueFileError when a file names
    what the catalogue does not have, or names it twice through two files of one language."""
    known = source_texts(catalogue)
    problems: list[str] = []
    by_language: dict[str, dict[tuple[str, ...], str]] = {}
    for file in files:
        if file.language == "en":
            problems.append(f"{file.name}: " + _("English is the catalogue's own text; it has no translation file."))
            continue
        texts = by_language.setdefault(file.language, {})
        for key, text in file.texts.items():
            if key not in known:
                problems.append(f"{file.name}: {_dotted(key)}: " + _("The catalogue has nothing by this name."))
            elif key in texts:
                problems.append(f"{file.name}: {_dotted(key)}: " + _("Another file of this language translates it."))
            elif text:
                texts[key] = text
    if problems:
        raise CatalogueFileError(problems)
    if not by_language:
        return catalogue

    def merged(spec: Any, path: tuple[str, ...], names: tuple[str, ...]) -> Any:
        translations = {language: dict(texts) for language, texts in spec.translations.items()}
        for language, texts in by_language.items():
            for name in names:
                text = texts.get((*path, name))
                if text:
                    translations.setdefault(language, {})[name] = text
        return replace(spec, translations=translations)

    def choice(choice: ChoiceSpec, path: tuple[str, ...]) -> ChoiceSpec:
        translations = {language: dict(texts) for language, texts in choice.translations.items()}
        for language, texts in by_language.items():
            text = texts.get((*path, "choices", choice.key))
            if text:
                translations.setdefault(language, {})["name"] = text
        return replace(choice, translations=translations)

    def question(question: QuestionSpec, base: tuple[str, ...]) -> QuestionSpec:
        at = (*base, "questions", question.code)
        question = merged(question, at, QUESTION_FIELDS)
        return replace(question, choices=tuple(choice(entry, at) for entry in question.choices))

    def service(service: ServiceSpec) -> ServiceSpec:
        base = ("services", service.code)
        service = merged(service, base, SERVICE_FIELDS)
        return replace(
            service,
            questions=tuple(question(entry, base) for entry in service.questions),
            rules=tuple(merged(rule, (*base, "rules", rule_key(rule)), RULE_FIELDS) for rule in service.rules),
        )

    departments: tuple[DepartmentSpec, ...] = tuple(
        merged(department, ("departments", department.slug), DEPARTMENT_FIELDS) for department in catalogue.departments
    )
    groups: tuple[GroupSpec, ...] = tuple(
        merged(group, ("groups", group.name), GROUP_FIELDS) for group in catalogue.groups
    )
    return CatalogueFile(
        departments=departments, groups=groups, services=tuple(service(entry) for entry in catalogue.services)
    )


# --- writing -----------------------------------------------------------------------------------------


def render_template(catalogue: CatalogueFile, language: str, *, draft: bool = True) -> str:
    """A translation file for `language` with every text the catalogue has: each English text as a comment
    above its key, the value the catalogue's translation so far ("" where there is none)."""
    document = tomlkit.document()
    document.add(tomlkit.comment(_("The catalogue's texts in one language; see docs/catalogue-file.md.")))
    document.add(tomlkit.comment(_('Each "# en:" line is the English; write the translation in the quotes below it.')))
    document.add(tomlkit.nl())
    document.add("language", language)
    document.add("draft", draft)
    translated = existing_translations(catalogue, language)
    tables: dict[tuple[str, ...], Table] = {}
    for key, english in source_texts(catalogue).items():
        where, name = key[:-1], key[-1]
        if where[-1] == "choices":  # a choice is a dotted key of its question's table
            where, name = where[:-1], f"choices.{name}"
        table = tables.get(where)
        if table is None:
            table = tables[where] = tomlkit.table()
            _place(document, where, table)
        for line in english.splitlines() or [""]:
            table.add(tomlkit.comment(f"en: {line}"))
        table.add(tomlkit.key(name.split(".")) if "." in name else name, translated.get(key, ""))
    return tomlkit.dumps(document)


def _place(document: tomlkit.TOMLDocument, where: tuple[str, ...], table: Table) -> None:
    """Puts `table` at `where` as one `[a.b.c]` header, with super-tables left implicit."""
    parent: Any = document
    for part in where[:-1]:
        if part not in parent:
            parent.add(part, tomlkit.table(is_super_table=True))
        parent = parent[part]
    parent.add(where[-1], table)


def read_translation_files(paths: Iterable[Path]) -> list[TranslationFile]:
    """The files read and checked for shape; raises CatalogueFileError with every problem of every file, each
    after the file's name."""
    files: list[TranslationFile] = []
    problems: list[str] = []
    for path in paths:
        try:
            files.append(parse_translation_file(Path(path).read_text(encoding="utf-8"), name=Path(path).name))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(_("Cannot read %(file)s: %(error)s") % {"file": Path(path).name, "error": error})
        except CatalogueFileError as error:
            problems.extend(f"{Path(path).name}: {problem}" for problem in error.problems)
    if problems:
        raise CatalogueFileError(problems)
    return files
