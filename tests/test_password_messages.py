"""Issue 23 item 8: the password pages speak Chinese, and say 您.

Django 5.2 words the too-short message with ``%d`` (a msgid its zh_Hans catalogue does
not translate), and its Chinese help texts say 你: the project's catalogue covers both.
"""

from django.urls import reverse

from tests.conftest import PASSWORD, login


def _change(client, old, new):
    return client.post(reverse("password_change"), {
        "old_password": old, "new_password1": new, "new_password2": new}).content.decode()


def test_a_too_short_password_is_refused_in_chinese(client, clerk_user):
    login(client, clerk_user)
    page = _change(client, PASSWORD, "q7-Zx")
    assert "密码长度太短。密码必须包含至少 12 个字符。" in page
    assert "too short" not in page


def test_the_password_pages_say_nin(client, clerk_user, admin_user):
    login(client, clerk_user)
    wrong = _change(client, "not-my-password", "a-new-long-password-2026")
    assert "您的旧密码不正确。请重新输入。" in wrong
    login(client, admin_user)  # the admin's password form lists the validators' rules
    form = client.get(f"/admin/auth/user/{clerk_user.pk}/password/").content.decode()
    assert "您的密码必须包含至少 12 个字符。" in form
    assert "您的密码不能是一个常见密码。" in form
    assert "您的密码不能全都是数字。" in form
    for page in (form, wrong):
        assert "你" not in page
