from __future__ import annotations

import dataclasses
import pickle

from neardup import model
from neardup.boilerplate import BoilerRun
from neardup.model import Alignment, Cluster, Document, Edit, Member, ReuseSpan


def _slotted() -> list[type]:
    found = [getattr(model, name) for name in model.__all__]
    return [c for c in found if dataclasses.is_dataclass(c) and "__slots__" in vars(c)] + [BoilerRun]


def test_every_slotted_noun_pickles_as_its_constructor_and_fields() -> None:
    """Workers send spans, edits and clusters back by the million: each pickles as
    ``cls(*fields)``, not through the per-object ``dataclasses.fields`` of the default."""
    classes = _slotted()
    assert len(classes) >= 19
    for cls in classes:
        assert "__reduce__" in vars(cls), cls.__name__


def test_nouns_come_back_equal_from_a_pickle() -> None:
    edit = Edit("substitute", 3, 5, 3, 6, "鄂州", "xx市")
    span = ReuseSpan(0, 100, 2, 98, 1, 3, 1, 3, 0.93, 90, (edit,), None)
    member = Member("a.txt", 0, 100, 1, 3, (0, 1), 1.0, "同志们")
    objects = [edit, span, Alignment("a.txt", "b.txt", (span, span)), Document("a.txt", "文明"),
               Cluster(7, (member, member), 1), BoilerRun(4, 40, "page", 12)]  # fmt: skip
    for obj in objects:
        back = pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == obj and type(back) is type(obj)
        assert obj.__reduce__() == (type(obj), tuple(getattr(obj, f.name) for f in dataclasses.fields(obj)))
