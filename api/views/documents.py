"""A deal's documents (award letter, handover record, processing certificate): the list and each PDF, for exactly
those the web's /lots/<reference>/documents/ lets in (documents.selectors) — never a price, documents hold none."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from core.files import private_file_response
from documents import selectors

from ..serializers import DocumentSerializer
from .base import ApiView
from .lots import REFERENCE

NUMBER = OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. WX-SP-2026-00001")


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf`. The PDF itself is a file response; a refusal is still
    problem details (JSON, with its own content type)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class LotDocumentsView(ApiView):
    @extend_schema(
        operation_id="lot_documents",
        parameters=[REFERENCE],
        responses=DocumentSerializer(many=True),
        description=(
            "The deal's documents: for the plant, the winning processors and officials (as on the web). A processor "
            "that shares a recurring stream gets its own contract's documents only."
        ),
    )
    def get(self, request, reference):
        lot = selectors.lot_for_documents_or_403(request.user, reference)
        documents = selectors.lot_documents(lot, request.user).select_related("lot")
        return Response(DocumentSerializer(documents, many=True, context={"request": request}).data)


class DocumentPdfView(ApiView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        operation_id="document_pdf",
        parameters=[REFERENCE, NUMBER, OpenApiParameter("format", exclude=True)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The document's PDF, as issued (a revoked or replaced one too: its status says so).",
    )
    def get(self, request, reference, number):
        lot = selectors.lot_for_documents_or_403(request.user, reference)
        document = selectors.lot_document_or_404(lot, number, request.user)
        return private_file_response(document.file, content_type="application/pdf", filename=f"{document.number}.pdf")
