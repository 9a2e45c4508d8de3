"""Which function a call means: PostgREST's `findProc` and its PGRST202 / PGRST203 errors (pure).

    404 PGRST202  no function of that name takes these argument names
    300 PGRST203  several overloads take them (PostgREST answers 300 Multiple Choices)

Functions are told apart by the *names* of the arguments a request sends, never by their types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from .errors import GatewayError
from .fuzzy import closest
from .routines import Routine

Content = Literal["json", "form", "csv", "text", "xml", "bytea", "other"]
"""The request body's media type as findProc distinguishes it."""
_UNNAMED_FOR: dict[Content, frozenset[str]] = {
    "json": frozenset({"json", "jsonb"}),
    "text": frozenset({"text"}),
    "xml": frozenset({"xml"}),
    "bytea": frozenset({"bytea"}),
}
_RAW_CONTENT: frozenset[Content] = frozenset({"text", "xml", "bytea"})
"""Bodies that can only go whole into a single unnamed parameter."""
_OVERLOAD_HINT = (
    "Try renaming the parameters or the function itself in the database so function overloading can be resolved"
)


def content_kind(content_type: str | None) -> Content:
    media = (content_type or "application/json").split(";")[0].strip().lower()
    return {
        "application/json": "json",
        "": "json",
        "application/x-www-form-urlencoded": "form",
        "text/csv": "csv",
        "text/plain": "text",
        "text/xml": "xml",
        "application/octet-stream": "bytea",
    }.get(media, "other")  # type: ignore[return-value]


def _matches(routine: Routine, keys: frozenset[str], single_object: bool, content: Content, post: bool) -> bool:
    params = routine.params
    if single_object:
        return len(params) == 1 and params[0].type in ("json", "jsonb")
    if not params:
        return not keys and not (post and content in _RAW_CONTENT)
    required = {p.name for p in params if p.required}
    optional = {p.name for p in params if not p.required}
    return keys - optional == required


def _single_unnamed(routine: Routine, content: Content, post: bool) -> bool:
    params = routine.params
    return post and len(params) == 1 and not params[0].name and params[0].type in _UNNAMED_FOR.get(content, ())


def find(
    functions: Mapping[tuple[str, str], tuple[Routine, ...]],
    schema: str,
    name: str,
    keys: frozenset[str],
    *,
    single_object: bool,
    content: Content,
    post: bool,
) -> Routine:
    overloads = functions.get((schema, name), ())
    named = [r for r in overloads if _matches(r, keys, single_object, content, post)]
    fallback = [r for r in overloads if r not in named and _single_unnamed(r, content, post)]
    if len(named) == 1:
        return named[0]
    if named:
        raise ambiguous(named)
    if len(fallback) == 1:
        return fallback[0]
    if fallback:
        raise ambiguous(fallback)
    names = [n for (s, n) in functions if s == schema]
    raise no_function(schema, name, sorted(keys), single_object, content, post, names, overloads)


def ambiguous(candidates: Iterable[Routine]) -> GatewayError:
    listed = ", ".join(
        f"{r.schema}.{r.name}(" + ", ".join(f"{p.name} => {p.type}" for p in r.params) + ")" for r in candidates
    )
    return GatewayError(
        300,
        "PGRST203",
        f"Could not choose the best candidate function between: {listed}",
        hint=_OVERLOAD_HINT,
    )


def no_function(
    schema: str,
    name: str,
    keys: list[str],
    single_object: bool,
    content: Content,
    post: bool,
    all_names: Iterable[str],
    overloads: Iterable[Routine],
) -> GatewayError:
    """PostgREST's `NoRpc` error, word for word (Error.hs)."""
    func = f"{schema}.{name}"
    listed = ", ".join(keys)
    only_single = single_object or (post and content in _RAW_CONTENT)
    signature = f"({listed})" if keys else " without parameters"
    searched = f" with parameter{'s' if len(keys) > 1 else ''} {listed}" if keys else " without parameters"
    if single_object:
        searched = " with a single json/jsonb parameter"
    elif post and content in _RAW_CONTENT:
        searched = f" with a single unnamed {content} parameter"
    elif post and content == "json":
        searched += " or with a single unnamed json/jsonb parameter"
    message = f"Could not find the function {func}{'' if only_single else signature} in the schema cache"
    details = f"Searched for the function {func}{searched}, but no matches were found in the schema cache."
    hint = None if only_single else _hint(schema, name, keys, all_names, list(overloads))
    return GatewayError(404, "PGRST202", message, details, hint)


def _params_text(names: Iterable[str]) -> str:
    return "(" + ", ".join(sorted(names)) + ")"


def _hint(schema: str, name: str, keys: list[str], all_names: Iterable[str], overloads: list[Routine]) -> str | None:
    if overloads:
        found = closest(_params_text(keys), [_params_text(p.name for p in r.params) for r in overloads])
        suggestion = None if found is None else name + found
    else:
        suggestion = closest(name, all_names)
    return None if suggestion is None else f"Perhaps you meant to call the function {schema}.{suggestion}"
