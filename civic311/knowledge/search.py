"""One search over the knowledge base's articles and the service catalogue, for the public help pages,
the agent console and the staff API.

The database's own full-text search does the matching, behind one interface (`search`):

* SQLite: an FTS5 table, ranked by bm25 with the title weighted above the keywords and the body;
* PostgreSQL: a weighted tsvector (title A, keywords/tags/services B, body C) ranked by ts_rank_cd, plus
  pg_trgm similarity of the title.

Both index accent-folded, lower-cased words (`fold`), so "basura" finds "básura". A query word the index
does not know is corrected to the nearest word of the index's vocabulary (rapidfuzz), so "ilegal dumpng"
finds "illegal dumping" and the page can say "did you mean". The query never reaches MATCH or to_tsquery
as written: it is cut into words of letters and digits, each quoted.

The index holds published articles (one document per translation) and offered services (one per language
they are written in). It is written in the caller's transaction by `index_article` / `index_service`
(the knowledge services and a signal on Service call them) and rebuilt by `rebuild_search_index`.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.urls import reverse
from rapidfuzz import fuzz, process

from civic311.catalogue.models import Service
from civic311.languages import language_key

from . import selectors
from .models import BASE_LANGUAGE, Article, SearchDocument, SearchTerm
from .rendering import plain_text

if TYPE_CHECKING:
    from civic311.catalogue.models import Service
    from civic311.jurisdictions.models import Jurisdiction

MAX_QUERY_CHARS = 200
MAX_WORDS = 10
MAX_WORD_CHARS = 40
# A word this short is matched as written (and as a prefix from 3 letters up), never "corrected".
MIN_CORRECTABLE = 3
# fuzz.ratio out of 100: "ilegal"/"illegal" scores 92, "dumpng"/"dumping" 92, "trash"/"crash" 80.
CORRECTION_CUTOFF = 78
# Fetch more documents than asked for: an article has one per language, and they are merged.
OVERFETCH = 4
# A match in the visitor's own language ranks a little above the same article matched in English.
OWN_LANGUAGE_BONUS = 1.1
# Added to the score of a document holding every word of the query, above any holding only some.
ALL_WORDS_BONUS = 1000.0

_WORD = re.compile(r"[^\W_]+")


# --- the answer -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str  # "article" or "service"
    title: str
    snippet: str
    url: str
    article: Article | None
    service: Service | None
    score: float


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: list[Hit] = field(default_factory=list)
    corrected: str = ""  # the query with misspelt words corrected, when any was ("" otherwise)

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self):
        return iter(self.hits)


# --- words ----------------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents: "Básura Ñandú" -> "basura nandu"; a run of a script written without spaces
    between words (Chinese, Japanese, Khmer, Thai, Lao, Burmese) becomes its overlapping pairs of characters,
    "垃圾收集" -> "垃圾 圾收 收集", so that a word of two characters or more is found inside a sentence."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    # Every mark goes, spacing ones too: a Bengali or Khmer vowel sign would otherwise cut a word in pieces.
    folded = "".join(char for char in decomposed if not unicodedata.category(char).startswith("M")).casefold()
    return _UNSPACED.sub(_pairs, folded)


# Scripts without spaces between words. Character pairs (the usual bigram indexing of CJK search engines)
# rather than a dictionary segmenter: no word list to ship per language, and the same rule on both sides.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}"
)


def _pairs(run: re.Match[str]) -> str:
    text = run.group(0)
    return " " + " ".join(text[index : index + 2] for index in range(len(text) - 1)) + " "


def words(text: str) -> list[str]:
    """The words (letters and digits) of a text, folded; what both indexes see as tokens."""
    return _WORD.findall(fold(text))


def _query_words(query: str) -> list[str]:
    return [word[:MAX_WORD_CHARS] for word in words(query[:MAX_QUERY_CHARS])][:MAX_WORDS]


def _base(language: str | None) -> str:
    return language_key(language or BASE_LANGUAGE)


# --- the vocabulary (for corrections) -------------------------------------------------------------------------


@dataclass
class _Vocabulary:
    stamp: tuple
    known: frozenset[str]
    ordered: list[str]
    by_length: dict[int, list[str]]


_vocabularies: dict[tuple[int, tuple[str, ...]], _Vocabulary] = {}
# Bumped on every write in this process, so a rolled-back write (tests) never leaves a stale cache.
_generation = itertools.count()
_current_generation = [next(_generation)]


def _forget_vocabulary() -> None:
    _current_generation[0] = next(_generation)


def _vocabulary(jurisdiction_id: int, languages: Sequence[str]) -> _Vocabulary:
    """The words of the documents in `languages` (a Spanish word is no English word)."""
    terms_of = SearchTerm.objects.filter(jurisdiction_id=jurisdiction_id, language__in=languages)
    figures = terms_of.aggregate(last=Max("id"), count=Count("id"))
    stamp = (_current_generation[0], figures["last"], figures["count"])
    key = (jurisdiction_id, tuple(languages))
    cached = _vocabularies.get(key)
    if cached is not None and cached.stamp == stamp:
        return cached
    terms = sorted(set(terms_of.values_list("term", flat=True)))
    by_length: dict[int, list[str]] = {}
    for term in terms:
        by_length.setdefault(len(term), []).append(term)
    vocabulary = _Vocabulary(stamp, frozenset(terms), terms, by_length)
    _vocabularies[key] = vocabulary
    return vocabulary


def _is_known(word: str, vocabulary: _Vocabulary) -> bool:
    if word in vocabulary.known:
        return True
    # A prefix of an indexed word matches it (the search matches prefixes), so it needs no correction.
    at = bisect.bisect_left(vocabulary.ordered, word)
    return at < len(vocabulary.ordered) and vocabulary.ordered[at].startswith(word)


def correct(words_: Sequence[str], vocabulary: _Vocabulary) -> list[str]:
    """Each unknown word replaced by the nearest indexed word, when one is near enough."""
    corrected = []
    for word in words_:
        if len(word) < MIN_CORRECTABLE or word.isdigit() or _is_known(word, vocabulary):
            corrected.append(word)
            continue
        candidates = [
            term for length in range(len(word) - 2, len(word) + 3) for term in vocabulary.by_length.get(length, ())
        ]
        best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF)
        corrected.append(best[0] if best else word)
    return corrected


# --- the backends ---------------------------------------------------------------------------------------------

Row = tuple[int, str, int | None, int | None, str, float]  # id, kind, article id, service id, language, score


class _SQLite:
    table = "knowledge_search_fts"

    @staticmethod
    def _match(terms: Sequence[str], every: bool) -> str:
        # Each word quoted (it holds only letters and digits), a prefix from three letters.
        quoted = [f'"{term}"*' if len(term) >= MIN_CORRECTABLE else f'"{term}"' for term in terms]
        return (" AND " if every else " OR ").join(quoted)

    def find(
        self,
        jurisdiction_id: int,
        terms: Sequence[str],
        languages: Sequence[str],
        limit: int,
        every: bool,
        kinds: Sequence[str],
    ) -> list[Row]:
        marks = ", ".join(["%s"] * len(languages))
        kind_marks = ", ".join(["%s"] * len(kinds))
        sql = (
            f"SELECT d.id, d.kind, d.article_id, d.service_id, d.language,"  # noqa: S608 (a constant table name and placeholders)
            f" -bm25({self.table}, 10.0, 4.0, 1.0) AS score"
            f" FROM {self.table} JOIN knowledge_searchdocument d ON d.id = {self.table}.rowid"
            f" WHERE {self.table} MATCH %s AND d.jurisdiction_id = %s AND d.language IN ({marks})"
            f" AND d.kind IN ({kind_marks})"
            f" ORDER BY score DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self._match(terms, every), jurisdiction_id, *languages, *kinds, limit])
            return [tuple(row) for row in cursor.fetchall()]


class _PostgreSQL:
    @staticmethod
    def _tsquery(terms: Sequence[str], every: bool) -> str:
        quoted = [f"'{term}':*" if len(term) >= MIN_CORRECTABLE else f"'{term}'" for term in terms]
        return (" & " if every else " | ").join(quoted)

    def find(
        self,
        jurisdiction_id: int,
        terms: Sequence[str],
        languages: Sequence[str],
        limit: int,
        every: bool,
        kinds: Sequence[str],
    ) -> list[Row]:
        phrase = " ".join(terms)
        # The trigram match catches a misspelt title the vocabulary could not correct.
        sql = (
            "SELECT d.id, d.kind, d.article_id, d.service_id, d.language,"
            " ts_rank_cd(d.vector, q) + similarity(d.title, %s) AS score"
            " FROM knowledge_searchdocument d, to_tsquery('simple', %s) q"
            " WHERE d.jurisdiction_id = %s AND d.language = ANY(%s) AND d.kind = ANY(%s)"
            " AND (d.vector @@ q OR d.title %% %s)"
            " ORDER BY score DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql, [phrase, self._tsquery(terms, every), jurisdiction_id, list(languages), list(kinds), phrase, limit]
            )
            return [tuple(row) for row in cursor.fetchall()]


def _backend() -> _SQLite | _PostgreSQL:
    if connection.vendor == "postgresql":
        return _PostgreSQL()
    if connection.vendor == "sqlite":
        return _SQLite()
    raise NotImplementedError(f"The knowledge search supports SQLite and PostgreSQL, not {connection.vendor}.")


# --- searching ------------------------------------------------------------------------------------------------


def search(
    jurisdiction: Jurisdiction,
    query: str,
    *,
    language: str | None,
    limit: int = 10,
    kinds: Sequence[str] = (SearchDocument.Kind.ARTICLE, SearchDocument.Kind.SERVICE),
) -> SearchResults:
    """Articles and services for `query`, best first, in `language` where written in it (else English).
    `kinds` narrows it (the report form's service search asks for services only).

    Any input gives a clean answer: empty, huge, punctuation or SQL-shaped queries find nothing or find
    by their words; nothing the visitor types is passed to the database's query syntax as written.
    """
    cleaned = " ".join((query or "").replace("\x00", "").split())[:MAX_QUERY_CHARS]
    terms = _query_words(cleaned)
    limit = max(1, min(int(limit), 50))
    if not terms:
        return SearchResults(query=cleaned)
    language = _base(language)
    languages = [language] if language == BASE_LANGUAGE else [language, BASE_LANGUAGE]
    fixed = correct(terms, _vocabulary(jurisdiction.pk, languages))
    corrected = " ".join(fixed) if fixed != terms else ""
    backend = _backend()
    wanted = limit * OVERFETCH
    kinds = [str(kind) for kind in kinds]
    rows = backend.find(jurisdiction.pk, fixed, languages, wanted, every=True, kinds=kinds)
    if len(rows) < wanted and len(fixed) > 1:
        # Too few documents hold every word: add those holding any, ranked after the ones holding all.
        matched = {row[0] for row in rows}
        rows = [(*row[:5], row[5] + ALL_WORDS_BONUS) for row in rows] + [
            row
            for row in backend.find(jurisdiction.pk, fixed, languages, wanted, every=False, kinds=kinds)
            if row[0] not in matched
        ]
    return SearchResults(query=cleaned, hits=_hits(rows, language, limit), corrected=corrected)


def _hits(rows: Sequence[Row], language: str, limit: int) -> list[Hit]:

    best: dict[tuple[str, int], float] = {}
    for _id, kind, article_id, service_id, row_language, score in rows:
        key = (kind, article_id if kind == SearchDocument.Kind.ARTICLE else service_id)
        if key[1] is None:
            continue
        weighted = float(score) * (OWN_LANGUAGE_BONUS if row_language == language else 1.0)
        if weighted > best.get(key, float("-inf")):  # type: ignore[arg-type]
            best[key] = weighted  # type: ignore[index]
    ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
    article_ids = [key[1] for key, _ in ranked if key[0] == SearchDocument.Kind.ARTICLE]
    service_ids = [key[1] for key, _ in ranked if key[0] == SearchDocument.Kind.SERVICE]
    articles = {
        article.pk: article
        for article in Article.objects.filter(pk__in=article_ids, status=Article.Status.PUBLISHED).prefetch_related(
            "translations"
        )
    }

    services = {
        service.pk: service
        for service in Service.objects.filter(pk__in=service_ids, is_active=True).select_related("group")
    }
    hits = []
    for (kind, pk), score in ranked:
        if kind == SearchDocument.Kind.ARTICLE and pk in articles:
            local = selectors.localized(articles[pk], language)
            hits.append(
                Hit(
                    kind="article",
                    title=local.title,
                    snippet=local.summary,
                    url=local.url,
                    article=articles[pk],
                    service=None,
                    score=score,
                )
            )
        elif kind == SearchDocument.Kind.SERVICE and pk in services:
            service = services[pk]
            url = reverse("public:report", args=[service.code]) if service.accepts_requests else ""
            hits.append(
                Hit(
                    kind="service",
                    title=service.localized("name", language),
                    snippet=service.localized("description", language),
                    url=url,
                    article=None,
                    service=service,
                    score=score,
                )
            )
    return hits


# --- writing the index ----------------------------------------------------------------------------------------


def _article_documents(article: Article) -> list[SearchDocument]:
    if article.status != Article.Status.PUBLISHED:
        return []
    services = list(article.services.all())
    category = article.category
    documents = []
    for translation in article.translations.all():
        language = translation.language
        keywords = [
            *article.tags,
            *(service.localized("name", language) for service in services),
            category.localized("name", language) if category else "",
        ]
        documents.append(
            SearchDocument(
                jurisdiction_id=article.jurisdiction_id,
                kind=SearchDocument.Kind.ARTICLE,
                article=article,
                language=language,
                title=fold(translation.title),
                keywords=fold(" ".join(keywords)),
                body=fold(f"{translation.summary} {plain_text(translation.body)}"),
            )
        )
    return documents


def _service_documents(service: Service) -> list[SearchDocument]:
    if not service.is_active:
        return []
    documents = []
    translations = service.translations if isinstance(service.translations, dict) else {}
    for language, _name in settings.LANGUAGES:
        if language != BASE_LANGUAGE and not translations.get(language):
            continue
        keywords = f"{service.keywords} {service.code} {service.group.localized('name', language)}"
        documents.append(
            SearchDocument(
                jurisdiction_id=service.jurisdiction_id,
                kind=SearchDocument.Kind.SERVICE,
                service=service,
                language=language,
                title=fold(service.localized("name", language)),
                keywords=fold(keywords.replace(",", " ")),
                body=fold(service.localized("description", language)),
            )
        )
    return documents


def _store(documents: list[SearchDocument]) -> None:
    if not documents:
        return
    SearchDocument.objects.bulk_create(documents, batch_size=500)  # the database indexes them (migration 0003)
    terms = {
        (document.jurisdiction_id, document.language, word[:MAX_WORD_CHARS])
        for document in documents
        for text in (document.title, document.keywords, document.body)
        for word in words(text)
        if len(word) >= MIN_CORRECTABLE and not word.isdigit()
    }
    SearchTerm.objects.bulk_create(
        [
            SearchTerm(jurisdiction_id=jurisdiction_id, language=language, term=term)
            for jurisdiction_id, language, term in terms
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    _forget_vocabulary()


def index_article(article: Article) -> None:
    """Bring the article's documents up to date (none unless published); in the caller's transaction."""
    with transaction.atomic():
        SearchDocument.objects.filter(article_id=article.pk).delete()
        fresh = (
            Article.objects.select_related("category").prefetch_related("translations", "services").get(pk=article.pk)
        )
        _store(_article_documents(fresh))


def index_service(service: Service) -> None:
    """Bring a service's documents up to date; the articles naming it are re-indexed too."""
    with transaction.atomic():
        SearchDocument.objects.filter(service_id=service.pk).delete()
        if service.pk is not None:
            _store(_service_documents(service))
            for article in Article.objects.filter(services=service, status=Article.Status.PUBLISHED):
                index_article(article)


def rebuild(jurisdiction: Jurisdiction) -> int:
    """The jurisdiction's whole index written afresh; returns the number of documents."""

    with transaction.atomic():
        SearchDocument.objects.filter(jurisdiction=jurisdiction).delete()
        SearchTerm.objects.filter(jurisdiction=jurisdiction).delete()
        documents: list[SearchDocument] = []
        articles = (
            Article.objects.filter(jurisdiction=jurisdiction, status=Article.Status.PUBLISHED)
            .select_related("category")
            .prefetch_related("translations", "services")
        )
        for article in articles.iterator(chunk_size=500):
            documents.extend(_article_documents(article))
        for service in Service.objects.filter(jurisdiction=jurisdiction, is_active=True).select_related("group"):
            documents.extend(_service_documents(service))
        _store(documents)
        _forget_vocabulary()
        return len(documents)
