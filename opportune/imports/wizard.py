"""The import wizard's steps between the upload and the dry run: the column-mapping screen
and the value-mapping screen. The upload and the mapping being built (a draft) live in the
user's session until the dry run is queued; every rule is in ``spec`` and ``services``.

A column may also become a new custom field: ``CUSTOM_FIELD_MAKER`` is that seam. Once set
(by the custom fields app) to a function (user, target, header, type, column values) ->
(key, declaration), the column screen offers "New custom field" of a chosen type; the
column maps to ``custom.<key>`` and the declaration goes into the mapping's
``custom_fields``, so the field is created with the job (as for the CLI and the API).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import reverse

from opportune.errors import DomainError
from opportune.identity.models import User
from opportune.web.http import AuthedRequest, go_to, render_page

from . import spec
from .mapping import Mapping, fields_of
from .models import ImportMapping, Target
from .picklists import load as load_picklists
from .picklists import new_key
from .preview import column_values, first_values, value_choices
from .reading import FileShape, UnreadableFile, inspect
from .services import MAPPING_PARTS, create_job, enqueue, upload_dir

# (user, target, header, type, the column's values) -> (key, declaration)
FieldMaker = Callable[[User, str, str, str, list[str]], tuple[str, dict[str, Any]]]
CUSTOM_FIELD_MAKER: FieldMaker | None = None
# The types offered for a new custom field (set with the maker); the first is the default.
CUSTOM_FIELD_TYPES: list[tuple[str, str]] = []
NEW_FIELD = "__new_custom_field__"
BLANK, NEW_VALUE = "__blank__", "__new__"
_DRAFTS = "import_drafts"


def start(
    request: AuthedRequest,
    target: str,
    path: Path,
    filename: str,
    saved: ImportMapping | None,
    match_key: str,
    given: dict[str, Any] | None = None,
) -> HttpResponse:
    """Keep an uploaded file as a draft and open its column screen (an unreadable file is a
    ``DomainError`` for the upload form)."""
    shape = inspect(path)
    mapping: dict[str, Any] = {part: {} for part in MAPPING_PARTS}
    if saved is not None:
        if saved.target != target:
            raise spec.refuse(f"the saved mapping '{saved}' is for {saved.target}.")
        mapping = {part: getattr(saved, part) for part in MAPPING_PARTS}
    if given is not None:  # a downloaded mapping file, checked by ``spec``
        if given.get("target", target) != target:
            raise spec.refuse(f"it is for {given['target']}, not {target}.")
        for part in MAPPING_PARTS:
            mapping[part] = {**mapping.get(part, {}), **(given.get(part) or {})}
    token = uuid.uuid4().hex
    drafts = request.session.get(_DRAFTS, {})
    drafts[token] = {
        "target": target,
        "path": path.name,
        "filename": filename,
        "encoding": shape.encoding,
        "delimiter": shape.delimiter,
        "match_key": match_key,
        "mapping": mapping,
    }
    request.session[_DRAFTS] = drafts
    return go_to(request, reverse("imports:columns", args=[token]))


def _draft(request: AuthedRequest, token: str) -> dict[str, Any]:
    draft: dict[str, Any] | None = request.session.get(_DRAFTS, {}).get(token)
    if draft is None or not _path(draft).exists():
        raise Http404("This upload is gone; upload the file again.")
    return draft


def _path(draft: dict[str, Any]) -> Path:
    return upload_dir() / Path(draft["path"]).name


def _shape(draft: dict[str, Any]) -> FileShape:
    return inspect(_path(draft), draft["encoding"], draft["delimiter"])


def _save(request: AuthedRequest, token: str, draft: dict[str, Any]) -> None:
    drafts = request.session.get(_DRAFTS, {})
    drafts[token] = draft
    request.session[_DRAFTS] = drafts


@login_required
def columns(request: AuthedRequest, token: str) -> HttpResponse:
    """Each column of the file, its first values, and the field it feeds (auto-mapped by
    its header, or chosen here); a column mapped to nothing is skipped."""
    draft = _draft(request, token)
    shape = _shape(draft)
    target = draft["target"]
    error = ""
    if request.method == "POST":
        chosen = {h: request.POST.get(f"col-{i}", "") for i, h in enumerate(shape.headers)}
        types = {h: request.POST.get(f"type-{i}", "") for i, h in enumerate(shape.headers)}
        try:
            chosen, declared = _with_custom_fields(request.user, draft, chosen, types)
            given = {**draft["mapping"], "columns": chosen, "custom_fields": declared}
            spec.check(target, given)
            missing = Mapping.resolve(target, shape.headers, given).missing_required(target)
            if missing:
                raise spec.refuse(f"map a column to {', '.join(missing)}.")
        except DomainError as exc:
            error = exc.detail
            draft["mapping"]["columns"] = chosen
        else:
            draft["mapping"] = given
            _save(request, token, draft)
            return go_to(request, reverse("imports:values", args=[token]))
    resolved = Mapping.resolve(target, shape.headers, draft["mapping"])
    auto = Mapping.resolve(target, shape.headers).columns
    samples = first_values(_path(draft), shape)
    rows = [
        {
            "index": i,
            "header": header,
            "field": resolved.columns.get(header, ""),
            "auto": bool(auto.get(header)) and auto.get(header) == resolved.columns.get(header),
            "samples": samples[header],
        }
        for i, header in enumerate(shape.headers)
    ]
    context = {
        "draft": draft,
        "token": token,
        "shape": shape,
        "rows": rows,
        "fields": fields_of(target),
        # Activities have no custom fields (customfields/imports.py).
        "custom_fields": CUSTOM_FIELD_MAKER is not None and target != Target.ACTIVITIES,
        "without_custom_fields": target == Target.ACTIVITIES,
        "field_types": CUSTOM_FIELD_TYPES,
        "new_field": NEW_FIELD,
        "error": error,
        "target_label": Target(target).label,
    }
    return render_page(request, "imports/wizard_columns.html", context)


def _with_custom_fields(
    user: User, draft: dict[str, Any], chosen: dict[str, str], types: dict[str, str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """The columns with each "New custom field" mapped to ``custom.<key>``, and the custom
    fields the mapping declares (those declared before, and the new ones)."""
    declared: dict[str, Any] = dict(draft["mapping"].get("custom_fields") or {})
    new = [h for h, f in chosen.items() if f == NEW_FIELD]
    if not new:
        return chosen, declared
    if CUSTOM_FIELD_MAKER is None:
        raise spec.refuse("custom fields are not available yet; map the column or skip it.")
    known = dict(CUSTOM_FIELD_TYPES)
    for header in new:
        type_ = types.get(header, "")
        type_ = type_ if type_ in known else CUSTOM_FIELD_TYPES[0][0]
        values = column_values(_path(draft), _shape(draft), header) if "picklist" in type_ else []
        key, declaration = CUSTOM_FIELD_MAKER(user, draft["target"], header, type_, values)
        declared[key] = declaration
        chosen[header] = f"custom.{key}"
    return chosen, declared


@login_required
def values(request: AuthedRequest, token: str) -> HttpResponse:
    """Each picklist column's values, their counts and the key each maps to; an unmapped
    value is mapped here to a key, a new value or blank. Then the dry run."""
    draft = _draft(request, token)
    shape = _shape(draft)
    target = draft["target"]
    mapping = Mapping.resolve(target, shape.headers, draft["mapping"])
    picklists = load_picklists(target)
    choices = value_choices(_path(draft), shape, mapping, picklists)
    error = ""
    if request.method == "POST":
        mapped, added = posted_values(request.POST, [(c.field, c.value) for c in choices], "v")
        given = merged(draft["mapping"], mapped, added)
        try:
            spec.check(target, given)
            draft["mapping"] = given
            job = create_job(
                request.user,
                target,
                _path(draft),
                draft["filename"],
                mapping=given,
                match_key=draft["match_key"],
                dry_run=True,
                encoding=draft["encoding"],
                delimiter=draft["delimiter"],
            )
        except DomainError as exc:
            error = exc.detail
        else:
            enqueue(job)
            drafts = request.session.get(_DRAFTS, {})
            drafts.pop(token, None)
            request.session[_DRAFTS] = drafts
            return go_to(request, reverse("imports:detail", args=[job.pk]))
    context = {
        "draft": draft,
        "token": token,
        "shape": shape,
        "choices": [(i, c, picklists[c.field]) for i, c in enumerate(choices)],
        "unmapped": sum(1 for c in choices if c.key is None),
        "blank": BLANK,
        "new_value": NEW_VALUE,
        "error": error,
        "target_label": Target(target).label,
    }
    return render_page(request, "imports/wizard_values.html", context)


def posted_values(
    posted: Any, values: list[tuple[str, str]], prefix: str
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """The value choices of a form: {field: {value: key or ''}} and new {field: {key: label}}.
    Field ``<prefix>-<i>`` holds a key, BLANK or NEW_VALUE (then ``<prefix>-<i>-label``);
    an empty choice leaves the value as it maps (or unmapped)."""
    mapped: dict[str, dict[str, str]] = {}
    added: dict[str, dict[str, str]] = {}
    for i, (name, value) in enumerate(values):
        choice = posted.get(f"{prefix}-{i}", "")
        if not choice:
            continue
        if choice == BLANK:
            mapped.setdefault(name, {})[value] = ""
        elif choice == NEW_VALUE:
            label = posted.get(f"{prefix}-{i}-label", "").strip() or value
            key = new_key(label)
            added.setdefault(name, {})[key] = label
            mapped.setdefault(name, {})[value] = key
        else:
            mapped.setdefault(name, {})[value] = choice
    return mapped, added


def merged(
    mapping: dict[str, Any],
    values: dict[str, dict[str, str]],
    new_values: dict[str, dict[str, str]],
) -> dict[str, Any]:
    given = {part: dict(mapping.get(part) or {}) for part in MAPPING_PARTS}
    for part, extra in (("values", values), ("new_values", new_values)):
        for name, entries in extra.items():
            given[part][name] = {**given[part].get(name, {}), **entries}
    return given


def mapping_file(target: str, mapping: dict[str, Any], name: str) -> HttpResponse:
    """The mapping as the JSON file the CLI takes (``--mapping``) and the API accepts."""
    document = {"target": target, **{part: mapping.get(part) or {} for part in MAPPING_PARTS}}
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def draft_mapping(request: AuthedRequest, token: str) -> HttpResponse:
    draft = _draft(request, token)
    try:
        headers = _shape(draft).headers
    except UnreadableFile as exc:
        raise Http404(exc.detail) from exc
    resolved = Mapping.resolve(draft["target"], headers, draft["mapping"]).as_json()
    return mapping_file(draft["target"], resolved, f"{draft['target']}-mapping.json")
