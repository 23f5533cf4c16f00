"""Metadata filters: parsing Pinecone's filter language into a small tree, and evaluating it as a numpy mask."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spruce.engine.metacols import MetaColumns
from spruce.errors import InvalidArgument

Scalar = str | int | float | bool

_SCALAR_OPS = frozenset({"$eq", "$ne"})
_RANGE_OPS = frozenset({"$gt", "$gte", "$lt", "$lte"})
_LIST_OPS = frozenset({"$in", "$nin"})
_MAX_IN = 10_000


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Cmp:
    key: str
    op: str
    value: Scalar | tuple[Scalar, ...]


Filter = And | Or | Cmp


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_scalar(v: object) -> bool:
    return isinstance(v, str | int | float)  # bool is an int subclass


def parse_filter(obj: object) -> Filter:
    """Validate a filter document; raises InvalidArgument naming what is wrong."""
    if not isinstance(obj, dict):
        raise InvalidArgument(f"filter must be a JSON object, got {type(obj).__name__}")
    return _parse_object(obj)


def _parse_object(obj: dict[str, object]) -> Filter:
    parts: list[Filter] = []
    for key, value in obj.items():
        if not isinstance(key, str):
            raise InvalidArgument("filter keys must be strings")
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise InvalidArgument(f"{key} takes a non-empty list of filter objects")
            children: list[Filter] = []
            for item in value:
                if not isinstance(item, dict):
                    raise InvalidArgument(f"{key} takes a non-empty list of filter objects")
                children.append(_parse_object(item))
            parts.append(And(tuple(children)) if key == "$and" else Or(tuple(children)))
        elif key.startswith("$"):
            raise InvalidArgument(f"unknown filter operator {key!r} at the top level")
        else:
            parts.append(_parse_field(key, value))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_field(key: str, value: object) -> Filter:
    if _is_scalar(value):
        return Cmp(key, "$eq", value)  # type: ignore[arg-type]
    if not isinstance(value, dict):
        raise InvalidArgument(f"filter value for {key!r} must be a string, number, boolean or an operator object")
    if not value:
        raise InvalidArgument(f"filter for {key!r} has an empty operator object")
    parts = [_parse_op(key, op, arg) for op, arg in value.items()]
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_op(key: str, op: object, arg: object) -> Cmp:
    if op in _SCALAR_OPS:
        if not _is_scalar(arg):
            raise InvalidArgument(f"{op} on {key!r} takes a string, number or boolean")
        return Cmp(key, op, arg)  # type: ignore[arg-type]
    if op in _RANGE_OPS:
        if not _is_number(arg):
            raise InvalidArgument(f"{op} on {key!r} takes a number, got {type(arg).__name__}")
        return Cmp(key, op, arg)  # type: ignore[arg-type]
    if op in _LIST_OPS:
        if not isinstance(arg, list) or not arg:
            raise InvalidArgument(f"{op} on {key!r} takes a non-empty list")
        if len(arg) > _MAX_IN:
            raise InvalidArgument(f"{op} on {key!r} takes at most {_MAX_IN} values, got {len(arg)}")
        if not all(_is_scalar(v) for v in arg):
            raise InvalidArgument(f"{op} on {key!r} takes a list of strings, numbers or booleans")
        return Cmp(key, op, tuple(arg))
    if op == "$exists":
        if not isinstance(arg, bool):
            raise InvalidArgument(f"$exists on {key!r} takes true or false")
        return Cmp(key, op, arg)
    raise InvalidArgument(f"unknown filter operator {op!r} for {key!r}")


def evaluate(flt: Filter, cols: MetaColumns) -> np.ndarray:
    """Boolean mask over the rows of ``cols``."""
    if isinstance(flt, And):
        if not flt.children:
            return np.ones(cols.n, dtype=bool)
        mask = evaluate(flt.children[0], cols)
        for child in flt.children[1:]:
            if not mask.any():
                break
            mask &= evaluate(child, cols)
        return mask
    if isinstance(flt, Or):
        mask = evaluate(flt.children[0], cols)
        for child in flt.children[1:]:
            mask |= evaluate(child, cols)
        return mask
    return _cmp(flt, cols)


def _cmp(c: Cmp, cols: MetaColumns) -> np.ndarray:
    op = c.op
    if op == "$eq":
        return cols.eq_any(c.key, (c.value,))  # type: ignore[arg-type]
    if op == "$ne":
        return ~cols.eq_any(c.key, (c.value,))  # type: ignore[arg-type]
    if op == "$in":
        return cols.eq_any(c.key, c.value)  # type: ignore[arg-type]
    if op == "$nin":
        return ~cols.eq_any(c.key, c.value)  # type: ignore[arg-type]
    if op == "$exists":
        present = cols.present(c.key)
        return present if c.value else ~present
    return cols.compare(c.key, op, float(c.value))  # type: ignore[arg-type]
