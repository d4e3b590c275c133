"""The invitation a patient's link opens: the first read of every patient page.

Every patient request starts here, so the query is compiled once per database and reused:
building the SQL of a ``select_related`` query is most of its cost in Django (a profile of the
page put 36 % of all CPU there), and the SQL never changes. The ORM still writes the query
(``_query``), including its columns and joins; only the compiling is done once. Rows become
model instances through Django's own ``from_db`` and related populators, as a queryset would.

Columns: every invitation column (the pages and services use most of them), the episode's, and
the patient's preferred language (the only patient field a patient page reads). The provider is
not joined: only the locked-link page needs it, and it loads on that page alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Exists, OuterRef
from django.db.models.query import get_related_populators

from surveys.models import Invitation, Response
from surveys.tokens import token_hash

MAX_TOKEN_LENGTH = 100
_PLACEHOLDER = "\x00token-hash\x00"  # a value no real hash has, to find the parameter's place


def _query(using: str, *, lock: bool = False):
    """The ORM query that the compiled SQL comes from (and the reference a test checks).

    ``lock``: for the submit, the invitation row locked until the transaction ends, and whether
    its episode has any response yet (without one, a new response can form no pair).
    """
    queryset = Invitation.objects.using(using)
    if lock:
        queryset = queryset.select_for_update(of=("self",)).annotate(
            episode_responded=Exists(
                Response.objects.filter(invitation__episode_id=OuterRef("episode_id"))
            )
        )
    return (
        queryset.select_related("episode__patient")
        .only(
            *(field.name for field in Invitation._meta.concrete_fields),
            *(
                f"episode__{field.name}"
                for field in Invitation.episode.field.related_model._meta.concrete_fields
            ),
            "episode__patient__preferred_language",
        )
        .filter(token_hash=_PLACEHOLDER)[:1]
    )


@dataclass(frozen=True)
class _Compiled:
    using: str
    sql: str
    params: list
    token_at: int
    compiler: Any
    converters: dict
    init_list: list[str]
    start: int
    end: int
    populators: list
    annotations: dict

    @classmethod
    def build(cls, using: str, lock: bool) -> _Compiled:
        compiler = _query(using, lock=lock).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = list(params)
        if params.count(_PLACEHOLDER) != 1:  # the token hash, once; the others are constants
            raise RuntimeError(f"unexpected parameters in the invitation query: {params!r}")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return cls(
            using=using,
            sql=sql,
            params=params,
            token_at=params.index(_PLACEHOLDER),
            compiler=compiler,
            converters=compiler.get_converters([column[0] for column in select]),
            init_list=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, using),
            annotations=dict(compiler.annotation_col_map),
        )

    def fetch(self, hashed: str) -> Invitation | None:
        with connections[self.using].cursor() as cursor:
            params = list(self.params)
            params[self.token_at] = hashed
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        invitation = Invitation.from_db(self.using, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, invitation)
        for name, position in self.annotations.items():
            setattr(invitation, name, row[position])
        return invitation


_compiled: dict[tuple[str, bool], _Compiled] = {}
_lock = threading.Lock()


def invitation_for_token(
    token: str, *, lock: bool = False, using: str = "default"
) -> Invitation | None:
    """The invitation a link opens, with its episode and patient, in one query (or ``None``).

    ``lock=True`` (inside ``transaction.atomic``, for the submit) also locks the invitation's
    row, as ``select_for_update`` does, and sets ``episode_responded``.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    key = (using, lock)
    compiled = _compiled.get(key)
    if compiled is None:
        with _lock:
            compiled = _compiled.get(key) or _Compiled.build(using, lock)
            _compiled[key] = compiled
    return compiled.fetch(token_hash(token))
