"""The corrections file: a user's versioned overrides, applied on every build.

A TOML file (``corrections = "corrections.toml"`` in settings, or
``TALENTATLAS_CORRECTIONS``) kept with the user's data, so that fixes survive
rebuilds. Its hash is part of the build fingerprint: editing it triggers a rebuild.

.. code-block:: toml

    version = 1

    [[affiliation]]                 # force a match (an id) or forbid any ("none")
    text = "Meta Facebook"          # compared after normalisation (case, accents, punctuation)
    institution = "01zbnvs85"

    [[affiliation]]
    text = "Google"
    forbid = ["03weg0b71"]          # never match these ids for this text

    [[institution]]                 # an institution the ROR copy lacks
    id = "local:openai"
    name = "OpenAI"
    country = "US"
    sector = "industry"
    aliases = ["Open AI"]
    domains = ["openai.com"]

    [[institution_override]]        # change a ROR record's sector, parent or country
    id = "05x2bcf33"
    sector = "academia"
    parent = ""                     # "" = no parent
    country = "US"

    [[person_merge]]                # these persons are one (the first id is kept)
    persons = ["or:~Jane_Doe1", "name:jane doe"]

    [[person_split]]                # these works' mentions of a person are someone else
    person = "name:wei wang"
    works = ["neurips:2021:abc123"]
    new_id = "name:wei wang (ucla)" # optional
"""

from __future__ import annotations

import hashlib
import tomllib
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from talentatlas.resolve.registry import SECTORS, Institutions, norm_org

VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AffiliationFix(_Strict):
    text: str
    institution: str | None = None
    forbid: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one(self) -> AffiliationFix:
        if self.institution is None and not self.forbid:
            raise ValueError("give `institution` (an id or 'none') or `forbid`")
        return self


class LocalInstitution(_Strict):
    id: str
    name: str
    country: str | None = None
    sector: str | None = None
    parent: str | None = None
    aliases: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    #: the name stands for staff in several countries (its location is a seat)
    multinational: bool | None = None


class InstitutionOverride(_Strict):
    id: str
    sector: str | None = None
    parent: str | None = None
    country: str | None = None
    multinational: bool | None = None


class PersonMerge(_Strict):
    persons: list[str] = Field(min_length=2)


class PersonSplit(_Strict):
    person: str
    works: list[str] = Field(min_length=1)
    new_id: str | None = None


class Corrections(_Strict):
    version: int = VERSION
    affiliation: list[AffiliationFix] = Field(default_factory=list)
    institution: list[LocalInstitution] = Field(default_factory=list)
    institution_override: list[InstitutionOverride] = Field(default_factory=list)
    person_merge: list[PersonMerge] = Field(default_factory=list)
    person_split: list[PersonSplit] = Field(default_factory=list)
    digest: str = ""

    @model_validator(mode="after")
    def _check(self) -> Corrections:
        if self.version != VERSION:
            raise ValueError(f"unsupported corrections version {self.version} (expected {VERSION})")
        for item in [*self.institution, *self.institution_override]:
            if item.sector is not None and item.sector not in SECTORS:
                raise ValueError(f"{item.id}: sector must be one of {', '.join(SECTORS)}")
        return self

    # -- applying -----------------------------------------------------------------------
    def apply_to_registry(self, reg: Institutions) -> list[str]:
        """Add local institutions and override records; returns problems (unknown ids)."""
        problems = []
        for li in self.institution:
            reg.add(li.id, li.name, li.country, [], li.aliases, li.domains)
            if li.sector:
                reg.sector_override[li.id] = li.sector
            if li.multinational is not None:
                reg.declared_multinational[li.id] = li.multinational
        for li in self.institution:
            if li.parent and li.parent not in reg.name:
                problems.append(f"institution {li.id}: unknown parent {li.parent}")
            elif li.parent is not None:
                reg.parent_override[li.id] = li.parent
        for o in self.institution_override:
            if o.id not in reg.name:
                problems.append(f"institution_override: unknown id {o.id}")
                continue
            if o.sector:
                reg.sector_override[o.id] = o.sector
            if o.parent is not None:
                if o.parent and o.parent not in reg.name:
                    problems.append(f"institution_override {o.id}: unknown parent {o.parent}")
                else:
                    reg.parent_override[o.id] = o.parent
            if o.country:
                reg.country_override[o.id] = o.country.upper()
            if o.multinational is not None:
                reg.declared_multinational[o.id] = o.multinational
        for a in self.affiliation:
            if a.institution and a.institution != "none" and a.institution not in reg.name:
                problems.append(f"affiliation {a.text!r}: unknown institution {a.institution}")
        return problems

    def forced(self) -> dict[str, str | None]:
        """Normalised affiliation text -> forced institution id (None = no match)."""
        return {
            norm_org(a.text): (None if a.institution == "none" else a.institution)
            for a in self.affiliation
            if a.institution is not None
        }

    def forbidden(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for a in self.affiliation:
            if a.forbid:
                out.setdefault(norm_org(a.text), set()).update(a.forbid)
        return out

    @staticmethod
    def apply_to_links(links: Any, splits: Any, merges: Any) -> Any:
        """The linker's ``person_links`` with the person splits, then merges, applied
        (``splits``: :meth:`person_splits`, ``merges``: :meth:`person_merges`, as engine
        tables)."""
        links = links.left_join(splits, ["person_id", "work_id"]).drop(
            "person_id_right", "work_id_right"
        )
        links = links.mutate(person_id=links.new_id.fill_null(links.person_id)).drop("new_id")
        links = links.left_join(merges, "person_id").drop("person_id_right")
        return links.mutate(person_id=links.new_id.fill_null(links.person_id)).drop("new_id")

    def person_splits(self) -> pa.Table:
        rows = [
            {"person_id": s.person, "work_id": w, "new_id": s.new_id or f"{s.person}#split{i}"}
            for i, s in enumerate(self.person_split, start=1)
            for w in s.works
        ]
        schema = pa.schema([("person_id", pa.string()), ("work_id", pa.string()),
                            ("new_id", pa.string())])  # fmt: skip
        return pa.Table.from_pylist(rows, schema)

    def person_merges(self) -> pa.Table:
        """``person_id -> new_id`` (merged groups are joined transitively)."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        for m in self.person_merge:
            root = find(m.persons[0])
            for p in m.persons[1:]:
                r = find(p)
                if r != root:
                    parent[r] = root
        ids = sorted({p for m in self.person_merge for p in m.persons})
        rows = [{"person_id": p, "new_id": find(p)} for p in ids if find(p) != p]
        schema = pa.schema([("person_id", pa.string()), ("new_id", pa.string())])
        return pa.Table.from_pylist(rows, schema)


class CorrectionsError(ValueError):
    """The corrections file cannot be used; the message names the file and the problem."""


#: the project's own corrections, shipped with the package
DEFAULTS = "organisations.toml"


def load(path: Path | None, defaults: bool = False) -> Corrections:
    """Read and validate a corrections file (no file: no corrections); with
    ``defaults``, the project's own corrections come first and the file's entries
    after them (a later entry wins: a forced match, a local institution's record)."""
    own = _read(files("talentatlas.data") / DEFAULTS) if defaults else Corrections()
    if path is None:
        return own
    if not path.exists():
        raise CorrectionsError(f"{path}: corrections file not found")
    user = _read(path)
    if not defaults:
        return user
    merged = Corrections(
        **{k: getattr(own, k) + getattr(user, k) for k in _ENTRY_KINDS}, version=VERSION
    )
    merged.digest = hashlib.sha256((own.digest + user.digest).encode()).hexdigest()
    return merged


_ENTRY_KINDS = ("affiliation", "institution", "institution_override", "person_merge",
                "person_split")  # fmt: skip


def _read(path: Path | Traversable) -> Corrections:
    data = path.read_bytes()
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
        c = Corrections.model_validate(parsed)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CorrectionsError(f"{path}: not valid TOML ({e})") from e
    except ValidationError as e:
        raise CorrectionsError(f"{path}: {e}") from e
    c.digest = hashlib.sha256(data).hexdigest()
    return c
