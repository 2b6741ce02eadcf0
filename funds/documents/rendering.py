"""Filling a .docx template in Jinja's sandbox, and checking an uploaded one.

Two lines of defence against a template that reaches for Python internals: on upload,
every field must be one of the kind's (``figures.FIELDS``) and no expression may name an
attribute or key that starts with an underscore, nor use the ``attr`` filter; when
rendering, the immutable sandbox refuses unsafe attribute access and mutating methods,
and ``StrictUndefined`` turns a refused access into an error (``SecurityError``) rather
than an empty string.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.utils.translation import gettext as _
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from funds.documents.figures import FIELDS
from funds.documents.layout import TEMPLATES

#: An uploaded template may not inflate past this (a .docx is a zip).
MAX_UNCOMPRESSED_BYTES = 30 * 1024 * 1024
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def sandbox() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def default_template(kind: str) -> Path:
    return TEMPLATES / f"{kind}.docx"


def render_docx(template, context: dict) -> bytes:
    """The filled document's bytes; ``template`` is a path or the bytes of a .docx."""
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    document = DocxTemplate(source)
    document.render(context, jinja_env=sandbox(), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _template_source(document: DocxTemplate) -> str:
    """The Jinja source of a template's body, headers and footers, as docxtpl renders
    it (its own get_undeclared_template_variables reads the same)."""
    docx = Document(document.template_file)
    xml = document.patch_xml(document.xml_to_string(docx._element.body))
    for relation in docx._part.rels.values():
        if relation.reltype in (RT.HEADER, RT.FOOTER) and relation.target_part.blob:
            xml += document.patch_xml(
                document.xml_to_string(parse_xml(relation.target_part.blob)))
    return xml


def _names_reaching_inside(tree) -> list[str]:
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Const)):
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            found.append(node.attr)
        elif isinstance(node, nodes.Filter) and node.name == "attr":
            found.append("attr")
        elif isinstance(node, nodes.Const) and isinstance(node.value, str) \
                and node.value.startswith("_"):
            found.append(node.value)
    return found


def template_problems(kind: str, data: bytes) -> list[str]:
    """What is wrong with an uploaded template for a kind, in the site language; empty
    when it may be used."""
    if len(data) > MAX_UPLOAD_BYTES:
        return [_("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                return [_("The file inflates to more than %(mb)s MB.")
                        % {"mb": MAX_UNCOMPRESSED_BYTES // 2**20}]
        document = DocxTemplate(io.BytesIO(data))
        source = _template_source(document)
    except Exception:  # noqa: BLE001 - any unreadable file is the same answer
        return [_("This is not a Word (.docx) file.")]
    try:
        tree = sandbox().parse(source)
    except TemplateSyntaxError as exc:
        return [_("The template's fields are malformed (line %(line)s): %(message)s")
                % {"line": exc.lineno, "message": exc.message}]
    problems = []
    unsafe = _names_reaching_inside(tree)
    if unsafe:
        problems.append(_("The template reaches for internals (%(names)s): not allowed.")
                        % {"names": "、".join(sorted(set(unsafe)))})
    unknown = sorted(meta.find_undeclared_variables(tree) - FIELDS[kind])
    if unknown:
        problems.append(_("Unknown fields: %(names)s. The fields of this document are "
                          "listed in docs/documents.md.") % {"names": "、".join(unknown)})
    return problems
