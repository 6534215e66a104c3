"""``POST /api/v1/cases/{tracking_no}/attachments/`` (API.md): multipart, field ``file`` one or more
times → 201 with each stored file. Thin: the upload handler (web/uploads.py) has already stopped
reading at the size limit; ``cases.attachments.attachment_add`` checks type, visibility and who may
attach, stores and audits. Files are read back through the one download view (``url``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.attachments import attachment_add
from cases.exceptions import AttachmentTooLarge
from web import uploads
from web.shell import client_address

from .permissions import IsStaffMember
from .schema import ERRORS, AttachmentOut, AttachmentUploadIn, ErrorOut
from .serializers import attachment_data
from .views import visible_case


class CaseAttachmentsView(APIView):
    parser_classes = [MultiPartParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [IsStaffMember]

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadIn},
        responses={201: AttachmentOut(many=True), **ERRORS, 413: ErrorOut},
        summary="Attach files to a case (PDF, JPEG, PNG, OFD, DOCX, XLSX by content and extension)",
    )
    def post(self, request: Request, tracking_no: str) -> Response:
        case = visible_case(request.user, tracking_no)
        files = request.FILES.getlist("file")
        cut_off = uploads.refusal(request)
        if cut_off:
            raise AttachmentTooLarge(cut_off, fields={"file": [cut_off]})
        stored = attachment_add(case=case, actor=request.user, files=files, client_ip=client_address(request))
        return Response([attachment_data(a) for a in stored], status=status.HTTP_201_CREATED)
