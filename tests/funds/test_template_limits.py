"""Issue 25 item 7: a template cannot break a document. An upload is filled with the
kind's real figures within the rendering's limits (time, memory, size, the operands of
``**`` and ``*``); an installed template that fails at generation gives a message naming
it, never a 500, and the default template stays a click away."""

import time

import pytest
from django.core.files.base import ContentFile

from funds.documents import rendering
from funds.models import DocumentTemplate
from tests.conftest import login
from tests.funds.test_documents import ISSUE_QUERY, _template_with, _upload
from townships.models import AuditEvent

BAD_TEMPLATES = [
    "{{ 'x' * 10**12 }}",
    "{{ '{0.__class__}'.format(year) }}",
    "{{ 9 ** 5000 }}",
    "{{ 9 ** 10000000 }}",
    "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
]


@pytest.fixture
def quick_limit(monkeypatch):
    """One second to fill a template, so that a loop that never ends costs the test one."""
    monkeypatch.setattr(rendering, "RENDER_SECONDS", 1)


@pytest.mark.parametrize("text", BAD_TEMPLATES)
def test_an_upload_that_cannot_be_filled_is_refused_fast(client, demo, admin_user, text,
                                                        quick_limit):
    login(client, admin_user)
    began = time.monotonic()
    response = _upload(client, "posting", _template_with("{{ year }}" + text))
    assert response.status_code == 200  # the page again, with the reason; never a 500
    assert time.monotonic() - began < 5
    messages = " ".join(str(m) for m in response.context["messages"])
    assert "模板未保存" in messages, messages
    assert not DocumentTemplate.objects.exists()


def _install(kind: str, text: str, admin_user) -> DocumentTemplate:
    """A template that reached the database without the upload's check (an earlier
    version of the check, a restored backup)."""
    template = DocumentTemplate(kind=kind, version=1, uploaded_by=admin_user, active=True)
    template.file.save("installed.docx", ContentFile(_template_with(text)), save=True)
    return template


@pytest.mark.parametrize("text", BAD_TEMPLATES)
def test_an_installed_template_that_fails_is_named_never_a_500(client, demo, admin_user,
                                                               clerk_user, text, quick_limit):
    _install("posting", "{{ year }}" + text, admin_user)
    login(client, admin_user)
    response = client.get("/documents/2020/posting.docx", ISSUE_QUERY, follow=True)
    page = response.content.decode()
    assert response.redirect_chain and response.status_code == 200
    assert "上传的公示模板（第1版）无法生成" in page and "恢复默认模板" in page
    # the clerk's own posting too
    login(client, clerk_user)
    response = client.get("/documents/2020/511781100/posting.docx", ISSUE_QUERY, follow=True)
    assert response.status_code == 200 and "无法生成" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED).exists()


def test_after_the_reset_the_default_template_generates_again(client, demo, admin_user,
                                                              quick_limit):
    _install("posting", "{{ 'x' * 10**12 }}", admin_user)
    login(client, admin_user)
    client.post("/documents/2020/templates/posting/reset/")
    response = client.get("/documents/2020/posting.docx", ISSUE_QUERY)
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_a_template_within_the_limits_is_filled():
    assert rendering.render_docx(_template_with("{{ 2 ** 10 }}{{ 'ab' * 3 }}"), {})[:2] == b"PK"
