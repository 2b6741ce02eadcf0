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
import multiprocessing
import resource
import zipfile
from pathlib import Path

from django.utils.translation import gettext as _
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from funds.documents.figures import FIELDS
from funds.documents.layout import TEMPLATES

#: An uploaded template may not inflate past this (a .docx is a zip).
MAX_UNCOMPRESSED_BYTES = 30 * 1024 * 1024
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Limits of one rendering (issue 25 item 7): its time, the memory of the process that
#: renders, the size of the document it makes, and the operands of ``**`` and ``*``.
RENDER_SECONDS = 10
RENDER_MEMORY_BYTES = 1024 * 1024 * 1024
MAX_OUTPUT_BYTES = 50 * 1024 * 1024
MAX_EXPONENT = 100
MAX_REPEAT = 100_000


class RenderError(Exception):
    """A template that cannot be rendered within the limits, or fails; the message says
    why, in the site language."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with ``**`` and the repetition of a string or a list by
    ``*`` bounded: ``{{ 9 ** 10000000 }}`` or ``{{ 'x' * 10**12 }}`` stop at once."""

    intercepted_binops = frozenset(["**", "*"])

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is over the limit of {MAX_EXPONENT}")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(times, int) \
                        and len(sequence) * times > MAX_REPEAT:
                    raise SecurityError(f"a repetition over the limit of {MAX_REPEAT}")
        return super().call_binop(context, operator, left, right)


def sandbox() -> ImmutableSandboxedEnvironment:
    return _Sandbox(undefined=StrictUndefined, autoescape=True)


def default_template(kind: str) -> Path:
    return TEMPLATES / f"{kind}.docx"


def _render(template, context: dict) -> bytes:
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    document = DocxTemplate(source)
    document.render(context, jinja_env=sandbox(), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _render_in_child(connection, template, context):
    """In the forked process: a memory limit, the rendering, its bytes or its error."""
    resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY_BYTES, RENDER_MEMORY_BYTES))
    try:
        content = _render(template, context)
        if len(content) > MAX_OUTPUT_BYTES:
            raise RenderError(_("The document would be larger than %(mb)s MB.")
                              % {"mb": MAX_OUTPUT_BYTES // 2**20})
        connection.send(("ok", content))
    except MemoryError:
        connection.send(("error", str(_("The template needs more memory than allowed."))))
    except SecurityError as exc:
        connection.send(("error", str(_(
            "The template does something not allowed (a power or a repetition beyond the "
            "limits, or Python internals): %(detail)s") % {"detail": exc})))
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, none raised here
        connection.send(("error", str(exc) or exc.__class__.__name__))
    finally:
        connection.close()


def render_docx(template, context: dict) -> bytes:
    """The filled document's bytes; ``template`` is a path or the bytes of a .docx.

    Rendered in a forked process with a time limit (``RENDER_SECONDS``) and a memory
    limit: a template that loops for ever, grows a huge string or computes a huge number
    is stopped, never the server's worker; its failure is a ``RenderError``."""
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(
        target=_render_in_child, args=(sending, template, context), daemon=True)
    process.start()
    sending.close()
    try:
        if not receiving.poll(RENDER_SECONDS):
            raise RenderError(_("Filling the template took more than %(s)s seconds.")
                              % {"s": RENDER_SECONDS})
        status, payload = receiving.recv()
    except EOFError as exc:
        raise RenderError(_("Filling the template stopped (it needed more than the "
                            "allowed memory).")) from exc
    finally:
        receiving.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status != "ok":
        raise RenderError(payload)
    return payload


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
