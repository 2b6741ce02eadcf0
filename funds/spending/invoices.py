"""The facts of a Chinese invoice (发票), read from its QR code or its OFD file.

The QR code of a VAT invoice is a comma-separated string (INSPECTION.md, "Invoices")::

    01,<type>,<code>,<number>,<amount>,<yyyymmdd>,<check code>,<4 hex>

Older invoices carry a 10- or 12-digit code and an 8-digit number; an all-electronic
invoice (数电票, types 31 and 32) has an empty code and a 20-digit number. Unknown type
codes are kept as "other", never refused. Scanners may add a trailing comma or
URL-encode the string. Whether the amount includes tax is not said anywhere: it is
compared with the expenditure as it is, and a mismatch is a warning, not a refusal.

Files: a photo (PNG, JPEG) is decoded with zxing-cpp; a PDF's first page is rendered with
pypdfium2 first; an OFD (GB/T 33190) is a ZIP of XML, read with defusedxml under caps on
the members and their sizes.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: Invoice types of the QR code's second field; anything else is "other".
INVOICE_TYPES = {
    "01": gettext_lazy("VAT special invoice"),
    "04": gettext_lazy("VAT ordinary invoice"),
    "08": gettext_lazy("Electronic VAT special invoice"),
    "10": gettext_lazy("Electronic VAT ordinary invoice"),
    "11": gettext_lazy("VAT ordinary invoice (roll)"),
    "14": gettext_lazy("Electronic ordinary invoice (tolls)"),
    "31": gettext_lazy("All-electronic invoice (special)"),
    "32": gettext_lazy("All-electronic invoice (ordinary)"),
}

OFD_MAX_MEMBERS = 200
OFD_MAX_MEMBER_BYTES = 2 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000


# An IME types digits fullwidth (０–９); they are the digits they show. Digits of other
# scripts, which str.isdigit() also accepts, are not an invoice's.
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def ascii_digits(text: str | None) -> str:
    """The text stripped, its fullwidth digits made ASCII."""
    return (text or "").strip().translate(FULLWIDTH_DIGITS)


def is_digits(text: str, *lengths: int) -> bool:
    """Whether the text is ASCII digits only, of one of the lengths."""
    return bool(re.fullmatch(r"[0-9]+", text)) and len(text) in lengths


class InvoiceError(ValueError):
    """The text or file holds no invoice we can read; the message says why."""


@dataclass(frozen=True)
class InvoiceFacts:
    number: str
    code: str = ""
    type: str = ""
    date: datetime.date | None = None
    amount: Decimal | None = None
    seller: str = ""
    check_code: str = ""

    @property
    def key(self) -> str:
        """What makes an invoice unique county-wide: a 数电票's 20-digit number, else
        its code and number."""
        return invoice_key(self.code, self.number)

    @property
    def type_label(self) -> str:
        return str(INVOICE_TYPES.get(self.type, _("Other")))


def invoice_key(code: str, number: str) -> str:
    code, number = ascii_digits(code), ascii_digits(number)
    if not number:
        return ""
    return number if len(number) == 20 or not code else f"{code}-{number}"


def _date(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise InvoiceError(_("The invoice date “%(text)s” is not a date.") % {"text": text}
                           ) from None


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise InvoiceError(_("The invoice amount “%(text)s” is not a number.")
                           % {"text": text}) from None
    # at most the 14 digits an amount column holds; a larger one cannot even be quantized
    if (not amount.is_finite() or amount <= 0 or amount >= Decimal("1E12")
            or amount != amount.quantize(Decimal("0.01"))):
        raise InvoiceError(_("The invoice amount “%(text)s” is not an amount in yuan.")
                           % {"text": text})
    return amount.quantize(Decimal("0.01"))


def parse_qr(text: str) -> InvoiceFacts:
    """The facts of an invoice's QR text; :class:`InvoiceError` for anything else."""
    text = ascii_digits(text)
    if "%2C" in text.upper():
        text = unquote(text)
    fields = [field.strip() for field in text.split(",")]
    if len(fields) < 6 or fields[0] != "01":
        raise InvoiceError(_("This QR code is not an invoice's."))
    kind, code, number, amount, date = fields[1:6]
    check_code = fields[6] if len(fields) > 6 else ""
    if not is_digits(number, 8, 20):
        raise InvoiceError(_("The invoice number “%(number)s” has neither 8 nor 20 digits.")
                           % {"number": number})
    if len(number) == 20 and code:
        raise InvoiceError(_("An all-electronic invoice's QR code has no invoice code."))
    if len(number) == 8 and not is_digits(code, 10, 12):
        raise InvoiceError(_("The invoice code “%(code)s” has neither 10 nor 12 digits.")
                           % {"code": code})
    return InvoiceFacts(number=number, code=code, type=kind, date=_date(date),
                        amount=_amount(amount), check_code=check_code)


def _decode_image(image) -> InvoiceFacts:
    import zxingcpp

    errors = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        try:
            return parse_qr(barcode.text)
        except InvoiceError as exc:
            errors.append(str(exc))
    raise InvoiceError(errors[0] if errors else _("No invoice QR code was found in the file."))


def _read_image(data: bytes) -> InvoiceFacts:
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > IMAGE_MAX_PIXELS:
            raise InvoiceError(_("The photo is too large to read."))
        image = image.convert("L")
    except (OSError, Image.DecompressionBombError):
        raise InvoiceError(_("The photo cannot be opened.")) from None
    return _decode_image(image)


def _read_pdf(data: bytes) -> InvoiceFacts:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
        try:
            if len(document) == 0:
                raise InvoiceError(_("The PDF has no page."))
            page = document[0]
            width, height = page.get_size()  # points
            # three times 72 dpi, but never a bitmap larger than a photo may be: a PDF
            # may declare a page of any size
            scale = min(3.0, (IMAGE_MAX_PIXELS / max(width * height, 1.0)) ** 0.5)
            image = page.render(scale=scale).to_pil().convert("L")
        finally:
            document.close()
    except pypdfium2.PdfiumError:
        raise InvoiceError(_("The PDF cannot be opened.")) from None
    return _decode_image(image)


def _text(root, path: str) -> str:
    found = root.find(path)
    return (found.text or "").strip() if found is not None else ""


def _read_ofd(data: bytes) -> InvoiceFacts:
    """The invoice's own XML inside an OFD archive (Doc_0/Attachs/original_invoice.xml)."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile:
        raise InvoiceError(_("The OFD file cannot be opened.")) from None
    if len(members) > OFD_MAX_MEMBERS:
        raise InvoiceError(_("The OFD file has too many parts."))
    for member in members:
        if not member.filename.lower().endswith("original_invoice.xml"):
            continue
        with archive.open(member) as handle:  # at most the cap, whatever the header says
            data = handle.read(OFD_MAX_MEMBER_BYTES + 1)
        if member.file_size > OFD_MAX_MEMBER_BYTES or len(data) > OFD_MAX_MEMBER_BYTES:
            raise InvoiceError(_("The OFD file's invoice data is too large."))
        try:
            root = ElementTree.fromstring(data)
        except (ElementTree.ParseError, DefusedXmlException):
            raise InvoiceError(_("The OFD file's invoice data cannot be read.")) from None
        for element in root.iter():  # drop namespaces: the tags are what we know
            element.tag = element.tag.rsplit("}", 1)[-1]
        number = ascii_digits(_text(root, ".//TaxSupervisionInfo/InvoiceNumber")
                              or _text(root, ".//InvoiceNumber"))
        issued = (_text(root, ".//TaxSupervisionInfo/IssueTime") or _text(root, ".//IssueTime"))
        amount = _text(root, ".//BasicInformation/TotalTax-includedAmount")
        if not is_digits(number, 8, 20):
            raise InvoiceError(_("The OFD file holds no invoice number."))
        date = None
        if issued:
            digits = re.sub(r"\D", "", issued)[:8]
            date = _date(digits)
        return InvoiceFacts(number=number, code=ascii_digits(_text(root, ".//InvoiceCode")),
                            date=date, amount=_amount(amount) if amount else None,
                            seller=_text(root, ".//SellerInformation/SellerName")[:100])
    raise InvoiceError(_("The OFD file holds no invoice data."))


def read_invoice(data: bytes) -> InvoiceFacts:
    """The facts of an invoice file (photo, PDF or OFD), by its content. Whatever a
    damaged or hostile file makes a reader raise is an :class:`InvoiceError`."""
    if data.startswith(b"%PDF-"):
        reader = _read_pdf
    elif data.startswith(b"PK\x03\x04"):
        reader = _read_ofd
    elif data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        reader = _read_image
    else:
        raise InvoiceError(_("Only photos, PDF and OFD files of invoices can be read."))
    try:
        return reader(data)
    except InvoiceError:
        raise
    # a CRC that fails, an encrypted or unsupported zip member, a truncated stream
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error,
            ValueError, ArithmeticError):
        raise InvoiceError(_("The file is damaged or cannot be read.")) from None
