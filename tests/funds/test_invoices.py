"""Invoice facts: the QR parser on real-format strings and on garbage, reading photos,
PDFs and OFD files, and the county-wide refusal of an invoice recorded twice."""

import datetime
import io
import re
import zipfile
from decimal import Decimal

import pytest
import segno
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from funds.models import Expenditure, SpendingCategory, Voucher
from funds.spending import services as spending
from funds.spending.invoices import InvoiceError, parse_qr, read_invoice
from funds.spending.selectors import invoice_warnings
from townships.models import AuditEvent, Township

OLD = "01,10,011001605111,80100798,64.9,20161018,85342965681116380258"
DIGITAL = "01,32,,23442000000014209621,112,20230215,,74AE"


def test_an_older_electronic_invoice():
    facts = parse_qr(OLD)
    assert (facts.type, facts.code, facts.number) == ("10", "011001605111", "80100798")
    assert facts.amount == Decimal("64.90") and facts.date == datetime.date(2016, 10, 18)
    assert facts.key == "011001605111-80100798"
    assert facts.check_code == "85342965681116380258"


def test_an_all_electronic_invoice_is_keyed_by_its_number():
    facts = parse_qr(DIGITAL)
    assert facts.code == "" and facts.number == "23442000000014209621"
    assert facts.key == "23442000000014209621" and facts.amount == Decimal("112.00")
    with translation.override("zh-hans"):
        assert str(facts.type_label) == "数电发票（普通发票）"


@pytest.mark.parametrize("text", [
    DIGITAL + ",",                                   # a scanner's trailing comma
    DIGITAL.replace(",", "%2C"),                     # URL-encoded
    " " + DIGITAL + "\n",
])
def test_what_scanners_add_is_tolerated(text):
    assert parse_qr(text).key == "23442000000014209621"


def test_an_unknown_type_is_kept_as_other():
    facts = parse_qr("01,99,,23442000000014209621,112,20230215,,74AE")
    with translation.override("zh-hans"):
        assert facts.type == "99" and str(facts.type_label) == "其他"


@pytest.mark.parametrize("text", [
    "", "hello", "https://example.com/?a=1", "02,32,,23442000000014209621,112,20230215,,74AE",
    "01,32,,2344200000001420962,112,20230215,,74AE",        # 19 digits
    "01,32,1234567890,23442000000014209621,112,20230215",   # a 数电票 with a code
    "01,10,0110016051,8010079X,64.9,20161018",
    "01,10,011,80100798,64.9,20161018",                      # a 3-digit code
    "01,32,,23442000000014209621,abc,20230215",
    "01,32,,23442000000014209621,-5,20230215",
    "01,32,,23442000000014209621,1.234,20230215",
    "01,32,,23442000000014209621,NaN,20230215",
    "01,32,,23442000000014209621,112,20231345",
])
def test_garbage_is_refused_with_a_reason(text):
    with pytest.raises(InvoiceError):
        parse_qr(text)


fields = st.one_of(st.text(max_size=24), st.from_regex(r"\A[0-9]{0,21}\Z"),
                   st.sampled_from(["01", "32", "10", "112", "64.9", "20230215", ""]))


@given(st.one_of(st.text(max_size=120),
                 st.lists(fields, min_size=0, max_size=9).map(",".join)))
def test_any_text_is_an_invoice_or_a_reason(text):
    """Nothing but InvoiceError escapes, and whatever parses is a well-formed invoice."""
    try:
        facts = parse_qr(text)
    except InvoiceError as exc:
        assert str(exc)
        return
    assert re.fullmatch(r"[0-9]{8}|[0-9]{20}", facts.number)
    assert facts.key and facts.amount > 0 and facts.date is not None


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def qr_jpeg_photo(text: str) -> bytes:
    """The QR code on a larger grey page, as a JPEG: closer to a phone's photo."""
    code = Image.open(io.BytesIO(qr_png(text))).convert("L")
    page = Image.new("L", (code.width * 3, code.height * 2), 235)
    page.paste(code, (code.width * 2 - 40, 30))
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def qr_pdf(text: str) -> bytes:
    code = Image.open(io.BytesIO(qr_png(text))).convert("RGB")
    buffer = io.BytesIO()
    code.save(buffer, format="PDF", resolution=150)
    return buffer.getvalue()


def ofd(number="25512000000012345678", amount="1280.00", seller="万源市新华书店"):
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<EInvoice xmlns="http://www.chinatax.gov.cn/tirip/dataspec/1.0">
  <TaxSupervisionInfo><InvoiceNumber>{number}</InvoiceNumber>
    <IssueTime>2020-05-03 10:11:12</IssueTime></TaxSupervisionInfo>
  <EInvoiceData><SellerInformation><SellerName>{seller}</SellerName></SellerInformation>
    <BasicInformation><TotalTax-includedAmount>{amount}</TotalTax-includedAmount>
    </BasicInformation></EInvoiceData>
</EInvoice>"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Attachs/original_invoice.xml", xml)
    return buffer.getvalue()


def _blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_photo_a_pdf_and_an_ofd_are_read():
    assert read_invoice(qr_png(DIGITAL)).key == "23442000000014209621"
    assert read_invoice(qr_jpeg_photo(OLD)).key == "011001605111-80100798"
    assert read_invoice(qr_pdf(DIGITAL)).amount == Decimal("112.00")
    facts = read_invoice(ofd())
    assert facts.number == "25512000000012345678" and facts.seller == "万源市新华书店"
    assert facts.amount == Decimal("1280.00") and facts.date == datetime.date(2020, 5, 3)


def test_unreadable_files_say_why():
    with pytest.raises(InvoiceError, match="不是发票二维码"):
        read_invoice(qr_png("not an invoice"))
    with pytest.raises(InvoiceError, match="没有找到发票二维码"):
        read_invoice(_blank_png())
    with pytest.raises(InvoiceError):
        read_invoice(b"PK\x03\x04 broken zip")
    with pytest.raises(InvoiceError):
        read_invoice(b"\x89PNG\r\n\x1a\n broken")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # entities are refused (defusedxml)
        archive.writestr("Doc_0/Attachs/original_invoice.xml",
                         '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(InvoiceError):
        read_invoice(buffer.getvalue())


# --- Recording --------------------------------------------------------------------------


def _expenditure(township, clerk, amount="112.00"):
    return spending.expenditure_create(
        township=township, date=datetime.date(2020, 5, 1), amount=Decimal(amount),
        category=SpendingCategory.objects.get(name="教育培训"), purpose="党员培训资料",
        payee="新华书店", acting_user=clerk)


@pytest.mark.django_db
def test_the_facts_are_read_at_recording_and_a_second_use_is_refused(
        demo, taiping, clerk_user, other_clerk_user, admin_user):
    first = _expenditure(taiping, clerk_user)
    voucher = spending.voucher_add(expenditure=first, kind="invoice", acting_user=clerk_user,
                                   upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL)))
    assert voucher.invoice_key == "23442000000014209621"
    assert voucher.invoice_amount == Decimal("112.00") and len(voucher.sha256) == 64
    assert invoice_warnings(first) == []

    # Another township's clerk, another expenditure: the same invoice is refused.
    other_clerk = other_clerk_user
    other_township = Township.objects.get(name="青花镇")
    second = _expenditure(other_township, other_clerk)
    with pytest.raises(spending.SpendingError, match="已登记在另一乡镇的支出上"):
        spending.voucher_add(expenditure=second, kind="invoice", acting_user=other_clerk,
                             upload=SimpleUploadedFile("a.png", qr_png(DIGITAL)))
    assert not second.vouchers.exists()
    # A clerk cannot override; an administrator can, with a reason, audited.
    with pytest.raises(PermissionDenied):
        spending.voucher_add(expenditure=second, kind="invoice", acting_user=other_clerk,
                             upload=SimpleUploadedFile("a.png", qr_png(DIGITAL)),
                             duplicate_reason="分两次报销")
    allowed = spending.voucher_add(expenditure=second, kind="invoice", acting_user=admin_user,
                                   upload=SimpleUploadedFile("a.png", qr_png(DIGITAL)),
                                   duplicate_reason="同一发票分摊两镇，见会议纪要")
    assert allowed.duplicate_allowed_by == admin_user
    event = AuditEvent.objects.get(action=AuditEvent.Action.DUPLICATE_INVOICE_ALLOWED)
    assert event.details["other_expenditure"] == first.pk
    # The same bytes on another expenditure are a warning too.
    assert any("是同一个文件" in w for w in invoice_warnings(second))


@pytest.mark.django_db
def test_a_voided_expenditure_frees_its_invoice(demo, taiping, clerk_user, staff_user):
    first = _expenditure(taiping, clerk_user)
    spending.voucher_add(expenditure=first, kind="invoice", acting_user=clerk_user,
                         upload=SimpleUploadedFile("发票.png", qr_png(OLD)))
    spending.expenditure_void(expenditure=first, acting_user=staff_user, note="录错")
    second = _expenditure(taiping, clerk_user, amount="64.90")
    voucher = spending.voucher_add(expenditure=second, kind="invoice", acting_user=clerk_user,
                                   upload=SimpleUploadedFile("发票.png", qr_png(OLD)))
    assert voucher.invoice_key == "011001605111-80100798"


@pytest.mark.django_db
def test_typed_facts_and_the_amount_check(demo, taiping, clerk_user):
    expenditure = _expenditure(taiping, clerk_user, amount="150.00")
    from funds.spending.invoices import InvoiceFacts
    spending.voucher_add(
        expenditure=expenditure, kind="invoice", acting_user=clerk_user,
        upload=SimpleUploadedFile("收据.jpg", qr_jpeg_photo("not an invoice")),
        invoice=InvoiceFacts(number="12345678", code="5100201130", amount=Decimal("140.00"),
                             date=datetime.date(2020, 4, 30), seller="万源市印刷厂"))
    voucher = Voucher.objects.get(expenditure=expenditure)
    assert voucher.invoice_key == "5100201130-12345678"
    assert [w for w in invoice_warnings(expenditure) if "发票金额合计" in w]
    # An invoice whose number is not known is said to count as 白条.
    spending.voucher_add(expenditure=expenditure, kind="invoice", acting_user=clerk_user,
                         upload=SimpleUploadedFile("收据2.jpg", qr_jpeg_photo("x")))
    assert any("白条" in w for w in invoice_warnings(expenditure))
    # The same invoice twice among one upload's files is refused, nothing stored.
    before = Voucher.objects.count()
    with pytest.raises(spending.SpendingError, match="已登记在"):
        spending.vouchers_add(expenditure=expenditure, kind="invoice", acting_user=clerk_user,
                              uploads=[SimpleUploadedFile("a.png", qr_png(DIGITAL)),
                                       SimpleUploadedFile("b.png", qr_png(DIGITAL))])
    assert Voucher.objects.count() == before
    assert Expenditure.objects.get(pk=expenditure.pk).status == "draft"


@pytest.mark.django_db
def test_the_read_endpoint_and_the_form(client, demo, taiping, clerk_user):
    from tests.conftest import login
    login(client, clerk_user)
    response = client.post("/invoices/read/", {"file": SimpleUploadedFile(
        "发票.pdf", qr_pdf(DIGITAL), content_type="application/pdf")})
    assert response.status_code == 200
    assert response.json()["number"] == "23442000000014209621"
    assert response.json()["amount"] == "112.00" and not response.json()["duplicate"]
    bad = client.post("/invoices/read/", {"file": SimpleUploadedFile("x.png", qr_png("x"))})
    assert bad.status_code == 200 and bad.json()["error"] == "这个二维码不是发票二维码。"
    # Typed facts on the page: an 8-digit number needs its code.
    expenditure = _expenditure(taiping, clerk_user)
    response = client.post(f"/expenditures/{expenditure.pk}/vouchers/", {
        "kind": "invoice", "file": SimpleUploadedFile("x.png", qr_png("x")),
        "invoice_number": "12345678"})
    assert response.status_code == 400 and not expenditure.vouchers.exists()
    response = client.post(f"/expenditures/{expenditure.pk}/vouchers/", {
        "kind": "invoice", "file": SimpleUploadedFile("x.png", qr_png("x")),
        "invoice_number": "12345678", "invoice_code": "5100201130",
        "invoice_amount": "112.00"})
    assert response.status_code == 302
    assert expenditure.vouchers.get().invoice_key == "5100201130-12345678"


def test_a_pdf_page_of_any_size_renders_within_the_photo_cap():
    """A PDF may declare a page of 200 × 200 inches: it is rendered no larger than a photo
    may be, and its QR code (drawn large) is still found."""
    code = Image.open(io.BytesIO(qr_png(DIGITAL))).convert("RGB").resize((4000, 4000))
    buffer = io.BytesIO()
    code.save(buffer, format="PDF", resolution=20)  # 200 inches a side at 20 dpi
    assert read_invoice(buffer.getvalue()).key == "23442000000014209621"


def test_an_ofd_member_larger_than_its_header_says_is_cut_off():
    import zipfile as zf
    buffer = io.BytesIO()
    with zf.ZipFile(buffer, "w", compression=zf.ZIP_DEFLATED) as archive:
        archive.writestr("Doc_0/Attachs/original_invoice.xml", "<a>" + "x" * 3_000_000 + "</a>")
    with pytest.raises(InvoiceError):
        read_invoice(buffer.getvalue())


# --- Digits that look like digits -------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_fullwidth_digits_are_the_same_invoice():
    """An IME's fullwidth digits are read as the ASCII digits they show, so the county-wide
    key is one whichever way the number was typed or scanned."""
    facts = parse_qr(DIGITAL.translate(FULLWIDTH))
    assert facts.number == "23442000000014209621" and facts.key == parse_qr(DIGITAL).key
    assert parse_qr(OLD.translate(FULLWIDTH)).key == "011001605111-80100798"


@pytest.mark.parametrize("number", ["٢٣٤٤٢٠٠٠٠٠٠٠١٤٢٠٩٦٢١", "２３４４２０００００００１４２０９６２¹"])
def test_digits_of_other_scripts_are_refused(number):
    with pytest.raises(InvoiceError):
        parse_qr(f"01,32,,{number},112,20230215,,74AE")


@pytest.mark.django_db
def test_a_typed_fullwidth_number_is_refused_as_the_same_invoice(
        client, demo, taiping, clerk_user, other_clerk_user):
    from tests.conftest import login
    first = _expenditure(taiping, clerk_user)
    spending.voucher_add(expenditure=first, kind="invoice", acting_user=clerk_user,
                         upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL)))
    second = _expenditure(Township.objects.get(name="青花镇"), other_clerk_user)
    login(client, other_clerk_user)
    response = client.post(f"/expenditures/{second.pk}/vouchers/", {
        "kind": "invoice", "file": SimpleUploadedFile("x.png", qr_png("x")),
        "invoice_number": "23442000000014209621".translate(FULLWIDTH)})
    assert response.status_code == 400 and not second.vouchers.exists()
    assert "已登记在" in response.content.decode()
    # Digits of another script are not digits of an invoice number.
    response = client.post(f"/expenditures/{second.pk}/vouchers/", {
        "kind": "invoice", "file": SimpleUploadedFile("x.png", qr_png("x")),
        "invoice_number": "٢٣٤٤٢٠٠٠٠٠٠٠١٤٢٠٩٦٢١"})
    assert response.status_code == 400 and not second.vouchers.exists()


def _ofd_with(xml: str, *, mangle=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Doc_0/Attachs/original_invoice.xml", xml)
    data = buffer.getvalue()
    return mangle(data) if mangle else data


def test_no_reader_error_escapes_as_anything_but_an_invoice_error():
    """A huge exponent, a member whose bytes fail their CRC, an encrypted member: each is
    an InvoiceError the page shows, never a server error."""
    huge = ofd(amount="1E+30")
    with pytest.raises(InvoiceError):
        read_invoice(huge)
    xml = ("<EInvoice><TaxSupervisionInfo><InvoiceNumber>25512000000012345678"
           "</InvoiceNumber></TaxSupervisionInfo></EInvoice>")
    bad_crc = _ofd_with(xml, mangle=lambda data: data.replace(b"25512", b"25513", 1))
    with pytest.raises(InvoiceError):
        read_invoice(bad_crc)

    def encrypted(data: bytes) -> bytes:  # set the "encrypted" bit in both headers
        data = bytearray(data)
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            data[at + offset] |= 1
        return bytes(data)
    with pytest.raises(InvoiceError):
        read_invoice(_ofd_with(xml, mangle=encrypted))


# --- One rule for what holds an invoice, and what a clerk is told -------------------------


@pytest.mark.django_db
def test_a_rejected_expenditure_frees_its_invoice_as_the_flags_say(
        demo, taiping, clerk_user, staff_user):
    """Rejected is final, like voided: it is not spending, so it holds no invoice at the
    recording and takes part in no flag — one rule for both."""
    first = _expenditure(taiping, clerk_user)
    spending.voucher_add(expenditure=first, kind="invoice", acting_user=clerk_user,
                         upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL)))
    spending.expenditure_submit(expenditure=first, acting_user=clerk_user)
    spending.expenditure_reject(expenditure=first, acting_user=staff_user, note="不符合规定")
    second = _expenditure(taiping, clerk_user)
    voucher = spending.voucher_add(expenditure=second, kind="invoice", acting_user=clerk_user,
                                   upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL)))
    assert voucher.invoice_key == "23442000000014209621" and not voucher.duplicate_allowed_by
    assert not any("是同一个文件" in w for w in invoice_warnings(second))


@pytest.mark.django_db
def test_a_clerk_is_not_told_another_townships_expenditure(
        client, demo, taiping, clerk_user, other_clerk_user, admin_user, staff_user):
    from funds.models import FundYear
    from tests.conftest import login
    first = _expenditure(taiping, clerk_user, amount="112.00")
    spending.voucher_add(expenditure=first, kind="invoice", acting_user=clerk_user,
                         upload=SimpleUploadedFile("发票.png", qr_png(DIGITAL)))
    qinghua = Township.objects.get(name="青花镇")
    second = _expenditure(qinghua, other_clerk_user)
    with pytest.raises(spending.SpendingError) as refused:
        spending.voucher_add(expenditure=second, kind="invoice", acting_user=other_clerk_user,
                             upload=SimpleUploadedFile("a.png", qr_png(DIGITAL)))
    message = str(refused.value)
    assert "已登记在另一乡镇的支出上" in message
    assert "太平镇" not in message and str(first.pk) not in message.replace(
        "23442000000014209621", "")
    # the county's administrator is told which
    with pytest.raises(spending.SpendingError, match=f"太平镇第 {first.pk} 号支出"):
        spending.voucher_add(expenditure=second, kind="invoice", acting_user=admin_user,
                             upload=SimpleUploadedFile("a.png", qr_png(DIGITAL)))
    # allowed by an administrator, the flag shows on 青花镇's list without 太平镇's item
    spending.voucher_add(expenditure=second, kind="invoice", acting_user=admin_user,
                         upload=SimpleUploadedFile("a.png", qr_png(DIGITAL)),
                         duplicate_reason="两镇分摊")
    login(client, other_clerk_user)
    page = client.get("/flags/2020/?rule=DUPLICATE_INVOICE")
    html = page.content.decode()
    assert f"/expenditures/{second.pk}/" in html and f"/expenditures/{first.pk}/" not in html
    assert "另一乡镇的 1 笔支出" in html
    exported = b"".join(client.get("/flags/2020/export.csv?rule=DUPLICATE_INVOICE")
                        .streaming_content).decode("utf-8-sig")
    (row,) = [r for r in exported.splitlines() if r.startswith("发票重复报销")]
    assert str(first.pk) not in row.split(",")[4].split("、")
    assert FundYear.objects.filter(year=2020).exists()
